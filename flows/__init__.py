"""Prefect flows: wiring only. Importing the package sets the process's allocator defaults first
(govreports/settings.tune_allocators), so a deployment's flow run gets it as the CLI does."""

from govreports.settings import tune_allocators

tune_allocators()
