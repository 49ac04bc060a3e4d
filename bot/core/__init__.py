"""The platform-free heart of recapbot: nothing here imports a chat SDK."""
