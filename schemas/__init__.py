"""Pure pydantic contracts shared by every layer. Imports nothing from the project."""
