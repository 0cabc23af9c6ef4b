package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// scaledObject is the part of KEDA's keda.sh/v1alpha1 ScaledObject that a
// manifest may use, transcribed from KEDA 2.x's CRD so that a misspelt
// field is an error here as it is for the API server.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion             string `json:"apiVersion"`
			Kind                   string `json:"kind"`
			Name                   string `json:"name"`
			EnvSourceContainerName string `json:"envSourceContainerName"`
		} `json:"scaleTargetRef"`
		PollingInterval       *int32 `json:"pollingInterval"`
		InitialCooldownPeriod *int32 `json:"initialCooldownPeriod"`
		CooldownPeriod        *int32 `json:"cooldownPeriod"`
		IdleReplicaCount      *int32 `json:"idleReplicaCount"`
		MinReplicaCount       *int32 `json:"minReplicaCount"`
		MaxReplicaCount       *int32 `json:"maxReplicaCount"`
		Advanced              *struct {
			RestoreToOriginalReplicaCount bool `json:"restoreToOriginalReplicaCount"`
			HorizontalPodAutoscalerConfig *struct {
				Name     string                                         `json:"name"`
				Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior"`
			} `json:"horizontalPodAutoscalerConfig"`
		} `json:"advanced"`
		Fallback *struct {
			FailureThreshold int32 `json:"failureThreshold"`
			Replicas         int32 `json:"replicas"`
		} `json:"fallback"`
		Triggers []struct {
			Type              string            `json:"type"`
			Name              string            `json:"name"`
			UseCachedMetrics  bool              `json:"useCachedMetrics"`
			MetricType        string            `json:"metricType"`
			Metadata          map[string]string `json:"metadata"`
			AuthenticationRef *struct {
				Name string `json:"name"`
				Kind string `json:"kind"`
			} `json:"authenticationRef"`
		} `json:"triggers"`
	} `json:"spec"`
}

// kafkaScalerKeys are the metadata keys of KEDA's kafka trigger.
var kafkaScalerKeys = []string{
	"bootstrapServers", "consumerGroup", "topic", "lagThreshold", "activationLagThreshold",
	"offsetResetPolicy", "allowIdleConsumers", "scaleToZeroOnInvalidOffset", "excludePersistentLag",
	"limitToPartitionsWithLag", "ensureEvenDistributionOfPartitions", "version", "partitionLimitation",
	"sasl", "tls", "unsafeSsl",
}

// kustomization is the part of a kustomize.config.k8s.io/v1beta1
// Kustomization that deploy/k8s uses.
type kustomization struct {
	metav1.TypeMeta `json:",inline"`
	Namespace       string   `json:"namespace"`
	Resources       []string `json:"resources"`
	Labels          []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
	} `json:"labels"`
	Images []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
		Digest  string `json:"digest"`
	} `json:"images"`
}

// manifests holds deploy/k8s decoded into typed objects.
type manifests struct {
	configMap  corev1.ConfigMap
	deployment appsv1.Deployment
	service    corev1.Service
	pdb        policyv1.PodDisruptionBudget
	scaled     scaledObject
	kustomize  kustomization
	files      []string
}

// newObject returns the typed object a manifest of this apiVersion and
// kind decodes into, or nil for a kind deploy/k8s does not ship.
func (m *manifests) newObject(apiVersion, kind string) any {
	switch apiVersion + " " + kind {
	case "v1 ConfigMap":
		return &m.configMap
	case "apps/v1 Deployment":
		return &m.deployment
	case "v1 Service":
		return &m.service
	case "policy/v1 PodDisruptionBudget":
		return &m.pdb
	case "keda.sh/v1alpha1 ScaledObject":
		return &m.scaled
	case "kustomize.config.k8s.io/v1beta1 Kustomization":
		return &m.kustomize
	}
	return nil
}

// decodeManifest strictly decodes one YAML manifest into m.
func (m *manifests) decodeManifest(data []byte) error {
	docs, err := yamlDocs(data)
	if err != nil {
		return err
	}
	if len(docs) != 1 {
		return fmt.Errorf("want one object per file, got %d", len(docs))
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(docs[0], &tm); err != nil {
		return err
	}
	obj := m.newObject(tm.APIVersion, tm.Kind)
	if obj == nil {
		return fmt.Errorf("unexpected kind %s %s", tm.APIVersion, tm.Kind)
	}
	return decodeStrict(docs[0], obj)
}

// loadManifests decodes every YAML file in deploy/k8s.
func loadManifests(t *testing.T) *manifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("k8s", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/k8s (%v)", err)
	}
	m := &manifests{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.decodeManifest(data); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		m.files = append(m.files, filepath.Base(f))
	}
	return m
}

// TestManifestDecodingIsStrict proves the decoder used on deploy/k8s
// rejects what the API server would: misspelt fields, wrong types and
// unknown kinds.
func TestManifestDecodingIsStrict(t *testing.T) {
	cases := []struct {
		name, manifest, wantErr string
	}{
		{"valid", "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: x}\nspec: {maxUnavailable: 1}\n", ""},
		{"misspelt pod field", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          livenesProbe: {}\n", `unknown field "livenesProbe"`},
		{"wrong type", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: two}\n", "cannot unmarshal string"},
		{"bad quantity", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: [1]}\n", "cannot unmarshal array"},
		{"misspelt KEDA field", "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: x}\nspec: {maxReplicas: 3}\n", `unknown field "maxReplicas"`},
		{"unknown kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", "unexpected kind v1 Pod"},
		{"two objects", "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: ConfigMap\n", "want one object per file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := (&manifests{}).decodeManifest([]byte(c.manifest))
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

// TestKubernetesManifests checks deploy/k8s: every manifest decodes
// strictly into its API type, and the objects agree with each other and
// with the landerd configuration they carry.
func TestKubernetesManifests(t *testing.T) {
	m := loadManifests(t)
	cfgText, ok := m.configMap.Data["landerd.yaml"]
	if !ok {
		t.Fatalf("ConfigMap %s has no landerd.yaml key; keys: %v", m.configMap.Name, keys(m.configMap.Data))
	}
	cfg := loadConfig(t, "landerd.yaml", []byte(cfgText))

	d := m.deployment
	podLabels := d.Spec.Template.Labels
	if d.Spec.Selector == nil || !selects(d.Spec.Selector.MatchLabels, podLabels) {
		t.Errorf("Deployment selector %v does not select its pods %v", d.Spec.Selector, podLabels)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("Deployment replicas %v, want at least 2", d.Spec.Replicas)
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(d.Spec.Template.Spec.Containers))
	}
	c := d.Spec.Template.Spec.Containers[0]

	t.Run("probes", func(t *testing.T) {
		metricsPort := listenPort(t, cfg.Metrics.Addr)
		for _, p := range []struct {
			name  string
			probe *corev1.Probe
			path  string
		}{
			{"liveness", c.LivenessProbe, "/healthz"},
			{"readiness", c.ReadinessProbe, "/readyz"},
		} {
			if p.probe == nil || p.probe.HTTPGet == nil {
				t.Errorf("%s probe: want an httpGet probe on %s", p.name, p.path)
				continue
			}
			if p.probe.HTTPGet.Path != p.path {
				t.Errorf("%s probe path %q, want %q", p.name, p.probe.HTTPGet.Path, p.path)
			}
			if got := containerPort(c, p.probe.HTTPGet.Port); got != metricsPort {
				t.Errorf("%s probe port %s is container port %d; metrics.addr listens on %d", p.name, p.probe.HTTPGet.Port.String(), got, metricsPort)
			}
		}
	})

	t.Run("graceful termination", func(t *testing.T) {
		grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
		if grace == nil {
			t.Fatal("terminationGracePeriodSeconds is not set")
		}
		// The flush must finish, and the process exit, before SIGKILL.
		if g := time.Duration(*grace) * time.Second; g <= cfg.Shutdown.Deadline+5*time.Second {
			t.Errorf("terminationGracePeriodSeconds %s must exceed shutdown.deadline %s by more than 5s", g, cfg.Shutdown.Deadline)
		}
	})

	t.Run("config mount", func(t *testing.T) {
		// args name the file the ConfigMap's key becomes.
		i := slices.Index(c.Args, "--config")
		if i < 0 || i+1 >= len(c.Args) {
			t.Fatalf("container args %q do not pass --config", c.Args)
		}
		path := c.Args[i+1]
		var found bool
		for _, vm := range c.VolumeMounts {
			if filepath.Join(vm.MountPath, "landerd.yaml") != path {
				continue
			}
			for _, v := range d.Spec.Template.Spec.Volumes {
				if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == m.configMap.Name {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("--config %s is not the landerd.yaml key of ConfigMap %s mounted in the container", path, m.configMap.Name)
		}
	})

	t.Run("resources and security", func(t *testing.T) {
		limit, ok := c.Resources.Limits[corev1.ResourceMemory]
		if !ok {
			t.Fatal("no memory limit")
		}
		// landerd's soft memory limit is the budget plus 128MiB.
		if need := int64(cfg.Memory.BudgetBytes) + 128<<20; limit.Value() < need {
			t.Errorf("memory limit %s is below memory.budget_bytes + 128MiB (%d bytes)", limit.String(), need)
		}
		if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
			t.Error("no CPU request")
		}
		psc := d.Spec.Template.Spec.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
			t.Errorf("pod security context %+v must run as a non-root user", psc)
		}
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("container security context %+v: want a read-only root and no privilege escalation", sc)
		}
	})

	t.Run("service", func(t *testing.T) {
		s := m.service
		if !selects(s.Spec.Selector, podLabels) {
			t.Errorf("Service selector %v does not select the pods %v", s.Spec.Selector, podLabels)
		}
		if len(s.Spec.Ports) != 1 {
			t.Fatalf("Service ports %v, want one", s.Spec.Ports)
		}
		if got := containerPort(c, s.Spec.Ports[0].TargetPort); got != listenPort(t, cfg.Metrics.Addr) {
			t.Errorf("Service targets container port %d, metrics listen on %s", got, cfg.Metrics.Addr)
		}
	})

	t.Run("disruption budget", func(t *testing.T) {
		p := m.pdb
		if p.Spec.Selector == nil || !selects(p.Spec.Selector.MatchLabels, podLabels) {
			t.Errorf("PodDisruptionBudget selector %v does not select the pods %v", p.Spec.Selector, podLabels)
		}
		if p.Spec.MaxUnavailable == nil || p.Spec.MaxUnavailable.IntValue() != 1 {
			t.Errorf("PodDisruptionBudget maxUnavailable %v, want 1", p.Spec.MaxUnavailable)
		}
	})

	t.Run("autoscaling", func(t *testing.T) {
		s := m.scaled.Spec
		if s.ScaleTargetRef.Name != d.Name || s.ScaleTargetRef.Kind != "Deployment" {
			t.Errorf("ScaledObject targets %s %q, want Deployment %q", s.ScaleTargetRef.Kind, s.ScaleTargetRef.Name, d.Name)
		}
		if s.MinReplicaCount == nil || *s.MinReplicaCount < 1 {
			t.Errorf("minReplicaCount %v: scaling to zero would leave the lake stale", s.MinReplicaCount)
		}
		if s.MaxReplicaCount == nil {
			t.Fatal("maxReplicaCount is not set")
		}
		if max := *s.MaxReplicaCount; max > topicPartitions || max < *d.Spec.Replicas {
			t.Errorf("maxReplicaCount %d, want between the Deployment's %d replicas and the topic's %d partitions", max, *d.Spec.Replicas, topicPartitions)
		}
		if len(s.Triggers) != 1 || s.Triggers[0].Type != "kafka" {
			t.Fatalf("triggers %+v, want one kafka trigger", s.Triggers)
		}
		md := s.Triggers[0].Metadata
		for k := range md {
			if !slices.Contains(kafkaScalerKeys, k) {
				t.Errorf("kafka trigger: unknown metadata key %q", k)
			}
		}
		want := map[string]string{
			"bootstrapServers":   strings.Join(cfg.Kafka.Brokers, ","),
			"consumerGroup":      cfg.Kafka.Group,
			"topic":              cfg.Kafka.Topic,
			"allowIdleConsumers": "false",
		}
		for k, v := range want {
			if md[k] != v {
				t.Errorf("kafka trigger %s = %q, want %q (from the ConfigMap)", k, md[k], v)
			}
		}
	})

	t.Run("kustomization", func(t *testing.T) {
		var want []string
		for _, f := range m.files {
			if f != "kustomization.yaml" {
				want = append(want, f)
			}
		}
		got := slices.Sorted(slices.Values(m.kustomize.Resources))
		if !slices.Equal(got, want) {
			t.Errorf("kustomization resources %v, want every manifest %v", got, want)
		}
		kubectl, err := exec.LookPath("kubectl")
		if err != nil {
			t.Skip("kubectl not installed: kustomize rendering not checked")
		}
		out, err := exec.Command(kubectl, "kustomize", "k8s").CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl kustomize deploy/k8s: %v\n%s", err, out)
		}
		docs, err := yamlDocs(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) != len(want) {
			t.Errorf("kubectl kustomize rendered %d objects, want %d", len(docs), len(want))
		}
		for _, doc := range docs {
			// JSON is YAML, so each rendered object decodes the same way.
			var rendered manifests
			if err := rendered.decodeManifest(doc); err != nil {
				t.Errorf("rendered object: %v", err)
			}
		}
	})
}

// containerPort resolves a probe or service port (a number or a port
// name) to the container's port number; 0 when it names no port.
func containerPort(c corev1.Container, p intstr.IntOrString) int {
	if p.Type == intstr.Int {
		return p.IntValue()
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort)
		}
	}
	return 0
}

// selects reports whether a non-empty selector matches the labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}
