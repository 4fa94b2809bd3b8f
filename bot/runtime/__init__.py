"""The Rasa server as the stack runs it: stock Rasa 3.6 with measured speed-ups, each
declared once in `server.PATCHES` with the version it was checked against and the test that
proves it behaves like Rasa. On any other Rasa version nothing is patched (logged)."""
