# ruff: noqa: E402, B018
# Lesson 02 source (percent format); build with: python tools/build_notebooks.py 02

# %% [markdown]
# # Lesson 2 · The limit definition and the chain rule
#
# Autodiff rests on two ideas from calculus. The **limit definition** says what a derivative
# *is*: the slope of a curve at one point. The **chain rule** says how to get the derivative
# of a function built from pieces, out of the derivatives of the pieces. That second idea is
# all an autodiff engine does, over and over.

# %%
import matplotlib.pyplot as plt
import numpy as np

from autodiff_lab import Value, derivative
from autodiff_lab.display import plots
from autodiff_lab.math import cos, sin

# %% [markdown]
# ## Slope at a point
#
# The slope of a straight line is *rise over run*. A curve such as $f(x) = x^2$ has a
# different slope at every point, and at a single point the rise and the run are both 0, so
# $0/0$ tells you nothing. Instead, take a second point a small distance $h$ away, measure the
# slope of the line through both (a *secant*), and let $h$ shrink:
#
# $$f'(x) = \lim_{h \to 0} \frac{f(x+h) - f(x)}{h}.$$
#
# For $f(x) = x^2$ the algebra is short:
#
# $$\frac{(x+h)^2 - x^2}{h} = \frac{2xh + h^2}{h} = 2x + h \;\longrightarrow\; 2x.$$
#
# At $x = 2$ the secant slope is exactly $4 + h$, so the slope of the curve is $4$. Watch the
# difference quotients approach 4:


# %%
def square(x):
    return x**2


print(f"{'h':>8}  {'(f(2 + h) - f(2)) / h':>22}")
for h in [1.0, 0.5, 0.1, 0.01, 0.001, 0.0001]:
    quotient = (square(2 + h) - square(2)) / h
    print(f"{h:>8}  {round(quotient, 6):>22}")

# %% [markdown]
# Each secant is a line through $(2, 4)$; as $h$ shrinks they turn towards the tangent, the
# line that just touches the curve:

# %%
xs = np.linspace(0.5, 3.5, 200)
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
ax.plot(xs, square(xs), color="black", label="f(x) = x²")
for h in [1.0, 0.5, 0.25]:
    slope = (square(2 + h) - square(2)) / h
    ax.plot(xs, 4 + slope * (xs - 2), alpha=0.7, label=f"secant, h = {h}: slope {slope:g}")
ax.plot(xs, 4 + 4 * (xs - 2), "--", color="crimson", label="tangent: slope 4")
ax.plot([2], [4], "o", color="black")
ax.set_ylim(-1, 13)
ax.set_xlabel("x")
ax.set_ylabel("f(x)")
ax.set_title("secants through (2, 4) turn into the tangent as h shrinks")
ax.legend()
plt.show()

# %% [markdown]
# You will not take limits by hand again in this course: the engine knows the derivative of
# each primitive operation as a formula (for $x^2$ it is $2x$) and evaluates it. Both modes
# of the engine agree on the slope at 2:

# %%
print("forward mode:", derivative(square, 2.0))

x = Value(2.0)
square(x).backward()
print("reverse mode:", x.grad)

# %% [markdown]
# ## The chain rule
#
# Most functions are compositions: you feed the output of one function into another. If
# $y = f(u)$ and $u = g(x)$, a small nudge in $x$ moves $u$ by $g'(x)$ times as much, and
# that nudge in $u$ moves $y$ by $f'(u)$ times as much. The rates multiply:
#
# $$\frac{dy}{dx} = \frac{dy}{du}\cdot\frac{du}{dx} = f'(g(x))\cdot g'(x).$$
#
# With more layers you keep going: work from the outside in, take each layer's derivative
# *at the value it received*, and multiply all of them.
#
# ### A nested example
#
# $$f(x) = \sin^n\!\big((2x^2 + x + 1)^m\big)$$
#
# has four layers. Name the intermediate values, innermost first:
#
# | layer | its derivative |
# |---|---|
# | $u = 2x^2 + x + 1$ | $\frac{du}{dx} = 4x + 1$ |
# | $v = u^m$ | $\frac{dv}{du} = m\,u^{m-1}$ |
# | $w = \sin v$ | $\frac{dw}{dv} = \cos v$ |
# | $f = w^n$ | $\frac{df}{dw} = n\,w^{n-1}$ |
#
# so $f'(x) = n\,w^{n-1}\cdot\cos v\cdot m\,u^{m-1}\cdot(4x+1)$. Take $n = 3$, $m = 2$ and
# $x = 0.5$ and do it by hand, one layer at a time:

# %%
n, m, x0 = 3, 2, 0.5

u = 2 * x0**2 + x0 + 1
v = u**m
w = sin(v)
f_value = w**n
print(f"u = {u:.4f}   v = {v:.4f}   w = {w:.4f}   f = {f_value:.4f}")

df_dw = n * w ** (n - 1)
dw_dv = cos(v)
dv_du = m * u ** (m - 1)
du_dx = 4 * x0 + 1
print(f"df/dw = {df_dw:.4f}   dw/dv = {dw_dv:.4f}   dv/du = {dv_du:.4f}   du/dx = {du_dx:.4f}")

by_hand = df_dw * dw_dv * dv_du * du_dx
print("f'(0.5) by hand:", round(by_hand, 4))

# %% [markdown]
# Now let the engine do the same. Run the same four lines on a `Value` instead of a float,
# and give each intermediate value its name, so you can find it in the drawing below.

# %%
x = Value(x0, label="x")
u = 2 * x**2 + x + 1
v = u**m
w = sin(v)
f = w**n
for node, name in [(u, "u"), (v, "v"), (w, "w"), (f, "f")]:
    node.label = name

f.backward()
print("f(0.5)         =", round(f.data, 4))
print("f'(0.5) engine =", round(x.grad, 4))

# %% [markdown]
# After `backward()`, every value's `grad` holds the derivative of $f$ with respect to that
# value. For the layers these are exactly the running products of your chain-rule factors,
# taken from the outside in:

# %%
running = 1.0
for node, factor in [(f, 1.0), (w, df_dw), (v, dw_dv), (u, dv_du), (x, du_dx)]:
    running *= factor
    print(f"df/d{node.label} = {round(node.grad, 4):>8}   product of factors so far: {running:.4f}")

# %% [markdown]
# Here is what the engine recorded. Each circle is one primitive operation; each box holds a
# value's label, its `data` and its `grad`.
#
# The grey boxes are the plain numbers of the formula: 2, 1, m and n. The engine puts each
# one in the graph so you can see where it enters, but a plain number is a **constant**: the
# engine does not differentiate with respect to it, so its box has no grad. This is the one
# convention for the whole course. In `w ** n` with a plain number `n`, the rule used is
# $\partial(w^n)/\partial w = n\,w^{n-1}$ and nothing is sent to `n`.

# %%
f

# %% [markdown]
# If you *do* want the derivative with respect to an exponent, make it a `Value`. Then `**`
# uses the rule for a variable exponent, $\partial(a^b)/\partial b = a^b \ln a$, and the
# exponent gets a grad like any other input:

# %%
base, exponent = Value(2.0, label="a"), Value(3.0, label="b")
power = base**exponent
power.backward()
print("∂(a^b)/∂a =", base.grad, "  b·a^(b-1) =", 3.0 * 2.0**2)
print("∂(a^b)/∂b =", round(exponent.grad, 4), "  a^b·ln a =", round(8 * np.log(2.0), 4))

# %% [markdown]
# You rarely label every step. Written as an ordinary Python function, the same computation
# gives the same derivative, in reverse mode and in forward mode:


# %%
def nested(x, n=3, m=2):
    return sin((2 * x**2 + x + 1) ** m) ** n


x = Value(x0)
nested(x).backward()
print("reverse mode:", round(x.grad, 4))
print("forward mode:", round(derivative(nested, x0), 4))
print("by hand:     ", round(by_hand, 4))

# %% [markdown]
# The slope is easy to see on the curve: draw the function and its tangent at $x = 0.5$.
# `plot_tangent` gets both the value and the slope from one forward-mode pass.

# %%
plots.plot_tangent(nested, x0, xlim=(0.2, 0.8))
plt.show()

# %% [markdown]
# Notice what you did *not* have to do: write out $f'(x)$ as a formula. The engine worked
# with numbers only, as you did by hand in the cell above: it multiplied the local
# derivatives layer by layer and, where $x$ enters twice (in $2x^2$ and in $+\,x$), added
# the two contributions, $4x$ and $1$, as the $4x + 1$ of your table does. Lesson 5 shows
# that this sum is the rule in general: one product per path, added up. The next lessons
# show how the engine keeps track of the layers.
#
# ## Try it
#
# Change `n`, `m` and the point `x0` below. The cell recomputes the chain-rule product by hand
# and compares it with the engine. Then try a layer of your own, for example replace `sin`
# by `cos` in both places: which factor of the hand computation has to change?

# %%
n, m, x0 = 2, 3, 0.3  # change me

u = 2 * x0**2 + x0 + 1
v = u**m
w = sin(v)
hand = (n * w ** (n - 1)) * cos(v) * (m * u ** (m - 1)) * (4 * x0 + 1)

x = Value(x0)
nested(x, n=n, m=m).backward()
print("by hand:", round(hand, 4))
print("engine: ", round(x.grad, 4))
