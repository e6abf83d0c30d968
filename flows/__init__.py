"""Prefect flows: wiring only. Importing the package sets the process's Arrow allocator first
(govreports/settings.prefer_system_allocator), so a deployment's flow run gets it as the CLI does."""

from govreports.settings import prefer_system_allocator

prefer_system_allocator()
