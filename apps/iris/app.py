"""Try the iris model: Gradio, locally (`make apps`) or as a Hugging Face Space."""

from serverless_ml.apps import prediction_app

demo = prediction_app("iris")

if __name__ == "__main__":
    demo.launch()  # honours GRADIO_SERVER_NAME and GRADIO_SERVER_PORT
