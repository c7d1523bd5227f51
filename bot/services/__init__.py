"""Services: what the bot does, combining storage with the pure domain rules; handlers call these."""
