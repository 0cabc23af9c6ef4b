// Package deploy holds no code: its tests check the deployment files that
// ship beside it (the Dockerfile, docker-compose.yml, deploy/compose,
// deploy/k8s and deploy/grafana) against landerd's own configuration
// loader, the Kubernetes API types and each other, on machines with no
// Docker engine and no cluster.
package deploy
