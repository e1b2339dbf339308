"""Deadline reminders: tell each unit what is due and what is late, before each deadline."""
