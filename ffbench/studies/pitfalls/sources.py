"""Where each pitfalls claim comes from: the notes by title with the exact sentence tested, and the papers.

The notes are two public study texts: the web page "Neural Networks — Forward & Backpropagation" (its
"Critical Pitfalls" list and its "Mini-Batch SGD Training Loop") and the blog post "A Little Bit on Deep
Learning in General" (2025-02-25, section "From sigmoid() to tanh()").  Each quote below is their sentence
verbatim (arrows and all), so a reader can find it.
"""
from __future__ import annotations

PAGE = 'the notes "Neural Networks — Forward & Backpropagation"'
PITFALLS = PAGE + ', "Critical Pitfalls": '
POST = 'the notes "A Little Bit on Deep Learning in General" (blog post, 2025-02-25), "From sigmoid() to tanh()": '

DEAD_RELU = PITFALLS + ('"Dead ReLU neurons: if a neuron\'s weights push z < 0 for all inputs, it never activates. '
                        'Use LeakyReLU or proper He initialization."')
CLIPPING = PITFALLS + ('"Exploding gradients: clip_grad_norm_(model.parameters(), 1.0) should always be in your '
                       'training loop."')
BATCHNORM = PITFALLS + ('"No BatchNorm: covariate shift makes deep networks unstable. Always BatchNorm between '
                        'linear and activation layers."')
LR_SENTENCE = ('"Learning rate: too high → loss diverges; too low → training takes 100x longer. Use lr_find or '
               'start at 1e-3 with AdamW."')
LEARNING_RATE = PITFALLS + LR_SENTENCE
SCHEDULER = PAGE + (', "Mini-Batch SGD Training Loop": "Apply learning rate scheduler (CosineAnnealing, '
                    'ReduceLROnPlateau)"')
TANH = POST + '"Tanh(), hyperbolic tangent, solves the above problem by centering at 0, so we can have both signs ' \
              'when updating weight. Converges faster."'

GREYDANUS = ('Greydanus 2020, "Scaling down deep learning" (arXiv:2011.14439): accuracy table of the mnist1d '
             'README, "Comparing MNIST and MNIST-1D" (logistic regression 32%, MLP 68%, shuffled and not)')
PROTOCOL = ("the protocol is ours: a plain 40-100-100-10 ReLU MLP (the mnist1d repository's notebooks/models.py "
            "MLPBase adds a residual second layer) trained with the optimiser settings of its notebooks/train.py "
            "get_model_args (Adam, lr 1e-2, weight decay 0, batch 100), for 6000 steps over shuffled epochs "
            "(train.py walks the data in order)")
LECUN = ('LeCun, Bottou, Orr & Mueller 1998, "Efficient BackProp", Sec. 4.3 (one-signed inputs) and Sec. 4.4 '
         '("symmetric sigmoids such as hyperbolic tangent often converge faster than the standard logistic '
         'function"); ' + TANH)
IOFFE = 'Ioffe & Szegedy 2015, "Batch Normalization", '
PASCANU = ('Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks", Sec. 3.2 '
           '(clipping against sudden gradient spikes; threshold 0.5-10x the average norm)')
RANGE_TEST = ('the suggestion rule (lowest smoothed loss / 10) is fastai\'s lr_find (its "lr_min"); the range test '
              'itself: Smith 2017, "Cyclical learning rates for training neural networks", Sec. 3.3')
SGDR = 'Loshchilov & Hutter 2017, "SGDR", Sec. 3, Eq. 5 (cosine annealing)'
DROPOUT = 'Srivastava et al. 2014, "Dropout: a simple way to prevent neural networks from overfitting", Sec. 6.1.1'
