"""The local lab: a TLS registry with logins and bare staging servers in containers.

The lab is the default deploy target for development, tests and benchmarks. Every
container, network and volume it creates carries the label ``dev.shipline.lab=<name>``,
and ``shipline lab down`` removes only what carries that label.
"""
