"""Adam(weight_decay) 与 AdamW 的区别，手写复现（docs/qa/adam-vs-adamw.md）。"""

# --8<-- [start:adamw]
import torch


def init_adam_states(params):
    """每个参数一份状态：已走的步数、一阶矩 m、二阶矩 v（都从 0 开始）。"""
    return [{"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)} for p in params]


def adam_step(params, states, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=True):
    """对每个参数走一步。decoupled=True 是 AdamW：先 p ← p·(1 - lr·wd)，再做普通的 Adam 更新；
    decoupled=False 是 Adam(weight_decay)：把 wd·p 加进梯度（L2），这个和再进入 m、v 和归一化。"""
    beta1, beta2 = betas
    with torch.no_grad():
        for p, s in zip(params, states):
            g = p.grad
            if decoupled:
                p.mul_(1 - lr * weight_decay)  # 解耦的权重衰减：直接缩小参数
            else:
                g = g + weight_decay * p  # L2：加进梯度
            s["step"] += 1
            s["m"].mul_(beta1).add_(g, alpha=1 - beta1)
            s["v"].mul_(beta2).addcmul_(g, g, value=1 - beta2)
            m_hat = s["m"] / (1 - beta1 ** s["step"])  # 偏差修正
            v_hat = s["v"] / (1 - beta2 ** s["step"])
            p.sub_(lr * m_hat / (v_hat.sqrt() + eps))
# --8<-- [end:adamw]


# --8<-- [start:run]
def decay_run(optimizer_class, weight_decay, steps=10):
    """参数从 [5, 5] 出发，每步第一个元素的梯度是 100、第二个是 0，走 steps 步，返回最后的参数。"""
    p = torch.nn.Parameter(torch.tensor([5.0, 5.0]))
    optimizer = optimizer_class([p], lr=0.1, weight_decay=weight_decay)
    for _ in range(steps):
        p.grad = torch.tensor([100.0, 0.0])
        optimizer.step()
    return p.detach()
# --8<-- [end:run]
