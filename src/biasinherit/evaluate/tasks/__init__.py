"""Built-in tasks, one file each: ``TASKS`` imports every module here on its first lookup."""
