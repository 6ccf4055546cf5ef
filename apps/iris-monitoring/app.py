"""Watch the iris model: its monitoring images and recent predictions, refreshed every minute."""

from serverless_ml.apps import monitoring_app

demo = monitoring_app("iris")

if __name__ == "__main__":
    demo.launch()  # honours GRADIO_SERVER_NAME and GRADIO_SERVER_PORT
