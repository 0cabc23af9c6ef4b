"""Read the landerd lake with Spark."""
