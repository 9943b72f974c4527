"""Pai et al. (2023), "Experimentally realized in situ backpropagation for deep learning in
photonic neural networks", Science 380:398-404 (claims: ``reproductions/pai2023.yaml``).

- ``mesh``     a rectangular mesh of Mach-Zehnder interferometers: light forwards, and backwards
               through the same (reciprocal) mesh
- ``insitu``   every phase shifter's gradient measured as the chip does it: forward light, the
               time-reversed adjoint, and the two together, read on power monitors
- ``network``  a photonic neural network (meshes, with the nonlinearity and the loss done
               electronically), its 2-D classification tasks, and training by measured gradients
"""
