"""Pure logic: no telegram, aiosqlite or APScheduler imports; time and randomness come in as arguments."""
