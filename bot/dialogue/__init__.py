"""Dialogue logic shared by the actions in bot/actions/; imports no action module."""
