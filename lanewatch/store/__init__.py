"""SQLModel tables, engine and sessions."""
