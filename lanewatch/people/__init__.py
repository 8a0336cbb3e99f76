"""Who may see what: organisations, people and their roles, sign-in sessions, scopes and the audit."""
