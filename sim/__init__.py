"""Agent-based simulation of the incomes of Zhongwei's (and Ningxia's) relocated households."""
__version__ = "0.1.0"
