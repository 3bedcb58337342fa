"""One SGD training step (forward, MSE loss, backward, update) over the grid of issue 7."""
from .common import DTYPES, mlp_and_batch


class TrainStep:
    params = ([64, 512], [64, 256, 1024], [2, 8, 32], ["relu", "tanh", "gelu"], list(DTYPES))
    param_names = ("batch", "width", "depth", "activation", "dtype")
    timeout = 300

    def setup(self, batch, width, depth, activation, dtype):
        self.model, self.opt, self.X, self.Y = mlp_and_batch(batch, width, depth, activation, dtype)

    def time_step(self, batch, width, depth, activation, dtype):
        self.model.train_step(self.X, self.Y, "mse", self.opt)
