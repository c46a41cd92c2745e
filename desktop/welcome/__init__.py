"""The first start: a welcome, this computer's measured speed and the model it recommends."""
