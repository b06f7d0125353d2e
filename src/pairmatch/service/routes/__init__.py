"""The service's routers: operations (health, readiness), the tasks (generated from the task table), jobs."""
