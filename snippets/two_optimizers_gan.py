"""Code shown on docs/qa/two-optimizers-gan.md."""

import torch
from torch import nn

bce = nn.BCEWithLogitsLoss()


# --8<-- [start:make_gan]
def make_gan(seed=0):
    """一个最小的“GAN”：G 把 2 维噪声变成 2 维样本，D 给样本打一个真/假的分数（logit）。"""
    torch.manual_seed(seed)
    G = nn.Linear(2, 2)
    D = nn.Linear(2, 1)
    opt_g = torch.optim.SGD(G.parameters(), lr=0.05)
    opt_d = torch.optim.SGD(D.parameters(), lr=0.05)
    return G, D, opt_g, opt_d
# --8<-- [end:make_gan]


# --8<-- [start:gan_step]
def gan_step(G, D, opt_g, opt_d, real, z):
    ones, zeros = torch.ones(len(real), 1), torch.zeros(len(real), 1)
    fake = G(z)

    # 1) 判别器：真样本判 1，假样本判 0。fake.detach()：这一步的梯度不流进 G
    opt_d.zero_grad()
    d_loss = bce(D(real), ones) + bce(D(fake.detach()), zeros)
    d_loss.backward()
    opt_d.step()

    # 2) 生成器：让 D 把假样本判成 1。梯度穿过 D 流进 G，只有 opt_g 走一步
    opt_g.zero_grad()
    g_loss = bce(D(fake), ones)
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()
# --8<-- [end:gan_step]
