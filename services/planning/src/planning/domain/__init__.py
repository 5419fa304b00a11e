"""Planning rules, free of I/O."""
