"""The monthly re-plan loop: the job, its schedule and sensor, publication and the report."""
