"""Reports: what the engine did, for people (terminal tables now; HTML reports later)."""
