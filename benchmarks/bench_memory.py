"""Peak resident memory of training (asv ``peakmem_``: the process's peak RSS during the call)."""
from .common import mlp_and_batch


class PeakMemory:
    params = ([128, 1024],)
    param_names = ("batch",)

    def setup(self, batch):
        self.model, self.opt, self.X, self.Y = mlp_and_batch(batch, 256, 4, "relu", "float32")

    def peakmem_train_100_steps(self, batch):
        for _ in range(100):
            self.model.train_step(self.X, self.Y, "mse", self.opt)
