import os

# No GPU (CI, laptops): run the CUDA kernels in Numba's simulator. Must be set
# before anything imports numba.cuda.
if not os.path.exists("/dev/nvidiactl"):
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
os.environ.setdefault("NUMBA_CUDA_LOW_OCCUPANCY_WARNINGS", "0")
