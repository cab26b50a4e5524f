"""An example third-party plugin for storage (used by storage's own tests)."""
