"""Plugin engine: hook specifications, the interfaces job types and infrastructure targets
implement, and the loader. Built-in job types and targets are plugins like any other."""
