"""The Telegram surface: thin handlers, rendering, and the Application wiring."""
