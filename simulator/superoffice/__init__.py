"""SuperOffice's own facts: event and entity names, enums, headers, retry schedule; the catalogue; phrases."""
