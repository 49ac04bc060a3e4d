"""Turn the core's platform-neutral documents into what each platform shows."""
