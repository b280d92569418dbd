"""Hostile fixture: this file does not parse."""

def conv_block(x, filters, *, kernel_size=3, batchnorm=False, name=None)
    return x
