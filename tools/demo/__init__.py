"""`./run-demo`: the whole chain on one machine (README "Run it")."""
