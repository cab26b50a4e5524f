"""A type whose module fails to import, as a plugin with a missing dependency would."""

import storage_example_clash_dependency_that_is_not_installed  # noqa: F401
