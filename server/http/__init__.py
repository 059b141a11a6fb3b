"""The HTTP door: OpenAI's audio API over FastAPI, translating requests to the serving core and back."""
