"""The adjoint method of optimal control: Kelley (1960), Bryson (1961), Dreyfus (1962)
(claims: ``reproductions/kelley1960.yaml``).

- ``zermelo``  Zermelo's boat in a linearly sheared current: the dynamics, the forward-Euler
               simulation of a control history, the closed-form optimum (the linear-tangent law)
- ``adjoint``  the cost's gradient with respect to the control history three ways: the continuous
               costate equation integrated backwards, the discrete adjoint recursion (which is
               backpropagation through the time steps), and reverse mode on the simulation
"""
