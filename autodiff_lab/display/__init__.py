"""Pictures of computations: graphs, gradient paths, forward and reverse side by side.

Each module loads only when it is used, so ``import autodiff_lab`` stays light.
"""
