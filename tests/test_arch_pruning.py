"""Pruning with weight inheritance (dreamlite_core.arch.pruning; notebook 01, used by DreamLite-Nano)."""

from __future__ import annotations

import pytest
import torch
from diffusers import DreamLiteUNetModel, UNet2DConditionModel

from dreamlite_core.arch import prune_unet, pruning_map

NANO = dict(sample_size=16, block_out_channels=(16, 32, 64), layers_per_block=2, transformer_layers_per_block=(1, 1, 3),
            attention_head_dim=[1, 2, 4], cross_attention_dim=24, encoder_hid_dim=20,
            encoder_hid_dim_type="text_proj_rms", addition_embed_type="time", addition_time_embed_dim=16,
            projection_class_embeddings_input_dim=32, norm_num_groups=8, use_linear_projection=True, ff_mult=3)
SMALLER = dict(block_out_channels=(8, 16, 32), layers_per_block=1, transformer_layers_per_block=(1, 1, 1),
               attention_head_dim=[1, 1, 2], ff_mult=2)
SDXL_TINY = dict(sample_size=16, block_out_channels=(32, 64), layers_per_block=2, transformer_layers_per_block=(1, 2),
                 down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
                 up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), attention_head_dim=[2, 4],
                 cross_attention_dim=32, norm_num_groups=8, use_linear_projection=True)


pytestmark = pytest.mark.usefixtures("one_thread")


def nano_parent(**overrides):
    torch.manual_seed(0)
    return DreamLiteUNetModel(**{**NANO, **overrides}).eval()


def inputs(batch=2, hid=20, seed=1):
    g = torch.Generator().manual_seed(seed)
    return dict(sample=torch.randn(batch, 4, 8, 16, generator=g), timestep=torch.tensor([10, 700])[:batch],
                encoder_hidden_states=torch.randn(batch, 5, hid, generator=g),
                added_cond_kwargs={"time_ids": torch.full((batch, 2), 32.0)})


def forward(model, kw):
    with torch.no_grad():
        return model(**kw).sample


@pytest.mark.parametrize("rule", ["first", "norm"])
def test_pruning_to_own_config_reproduces_parent_exactly(rule):
    parent = nano_parent()
    child = prune_unet(parent, dict(parent.config), rule=rule)
    kw = inputs()
    assert torch.equal(forward(child, kw), forward(parent, kw))
    for (name, p), (cname, c) in zip(parent.state_dict().items(), child.state_dict().items()):
        assert name == cname and torch.equal(p, c)


def test_sdxl_style_unet_prunes_to_itself_and_to_a_smaller_child():
    torch.manual_seed(0)
    parent = UNet2DConditionModel(**SDXL_TINY).eval()
    kw = dict(sample=torch.randn(1, 4, 8, 8), timestep=torch.tensor([3]), encoder_hidden_states=torch.randn(1, 4, 32))
    assert torch.equal(forward(prune_unet(parent, dict(parent.config)), kw), forward(parent, kw))
    child = prune_unet(parent, {**parent.config, "block_out_channels": (16, 32), "transformer_layers_per_block": (1, 1),
                                "layers_per_block": 1, "attention_head_dim": [1, 2]})
    assert child.conv_in.weight.shape == (16, 4, 3, 3)
    assert torch.equal(child.conv_in.weight, parent.conv_in.weight[:16])
    # SDXL's feed-forward is GEGLU with mult 4: the first 4*32 hidden rows and the matching gate rows
    cp = child.down_blocks[1].attentions[0].transformer_blocks[0].ff.net[0].proj.weight
    pp = parent.down_blocks[1].attentions[0].transformer_blocks[0].ff.net[0].proj.weight
    assert torch.equal(cp, torch.cat([pp[:128, :32], pp[256:384, :32]]))
    assert forward(child, kw).shape == (1, 4, 8, 8)


@pytest.mark.parametrize("rule", ["first", "norm"])
def test_kept_tensors_equal_parent_slices(rule):
    parent = nano_parent()
    child = prune_unet(parent, {**parent.config, **SMALLER}, rule=rule)
    # residual stream: leading slice
    assert torch.equal(child.conv_in.weight, parent.conv_in.weight[:8])
    assert torch.equal(child.conv_out.weight, parent.conv_out.weight[:, :8])
    # multi-query attention at the lowest level: parent 4 heads x 16, child 2 heads x 16, 1 K/V head
    names = dict((c, p) for c, p, _ in pruning_map(parent, child, rule))
    src = names["down_blocks.2.attentions.0.transformer_blocks.0.attn1.to_q.weight"].rsplit(".attn1", 1)[0]
    pa, ca = parent.get_submodule(src).attn1, child.down_blocks[2].attentions[0].transformer_blocks[0].attn1
    assert (ca.heads, ca.to_k.weight.shape) == (2, (16, 32))
    assert torch.equal(ca.to_k.weight, pa.to_k.weight[:16, :32])
    rows = ca.to_q.weight
    parent_heads = pa.to_q.weight[:, :32].reshape(4, 16, 32)
    for h in range(2):
        assert any(torch.equal(rows[h * 16:(h + 1) * 16], parent_heads[p]) for p in range(4))
    # GEGLU: [hidden; gate] halves keep the same units
    pf = parent.get_submodule(src).ff
    cf = child.down_blocks[2].attentions[0].transformer_blocks[0].ff
    hidden_p, hidden_c = 3 * 64, 2 * 32
    proj_p, proj_c = pf.net[0].proj.weight[:, :32], cf.net[0].proj.weight
    for u in range(0, hidden_c, 7):
        matches = [p for p in range(hidden_p) if torch.equal(proj_c[u], proj_p[p])]
        assert len(matches) == 1 and torch.equal(proj_c[hidden_c + u], proj_p[hidden_p + matches[0]])
        assert torch.equal(cf.net[2].weight[:, u], pf.net[2].weight[:32, matches[0]])
    # separable res-block: widened x2 inside, leading stream slice outside
    pr, cr = parent.down_blocks[0].resnets[0], child.down_blocks[0].resnets[0]
    assert cr.conv1.pointwise.weight.shape == (16, 8, 1, 1)
    assert torch.equal(cr.conv1.depthwise.weight, pr.conv1.depthwise.weight[:8])
    # up level input is [main | skip]: up level 1 res-block 0 reads [32 | 16] in the child, [64 | 32] in the parent
    pu, cu = parent.up_blocks[1].resnets[0], child.up_blocks[1].resnets[0]
    assert torch.equal(cu.norm1.weight, torch.cat([pu.norm1.weight[:32], pu.norm1.weight[64:80]]))
    # up level's last res-block maps to the parent's last (it reads the skip from the level above)
    assert names["up_blocks.2.resnets.1.norm1.weight"] == "up_blocks.2.resnets.2.norm1.weight"
    assert names["up_blocks.0.resnets.0.norm1.weight"] == "up_blocks.0.resnets.0.norm1.weight"


def test_gated_feed_forward_units_with_zero_weights_prune_without_changing_the_output():
    """Feed-forward units whose weights are zero contribute nothing: pruning them must keep the output exactly.

    The zeros sit at the *leading* units, so only the "norm" rule finds the live ones, and only a correct
    [hidden; gate] split of GEGLU's ``proj`` gives the same output. (Heads cannot be tested this way in
    DreamLite's class: its head count fixes the head dim, so fewer heads at equal width is not a sub-structure.)"""
    parent = nano_parent(ff_mult=4)
    with torch.no_grad():
        for name, ff in parent.named_modules():
            if not name.endswith(".ff"):
                continue
            proj, out = ff.net[0].proj, ff.net[2]
            hidden = proj.weight.shape[0] // 2
            dead = torch.arange(hidden // 2)  # the leading half of the units die; ff_mult 4 -> 2 keeps the rest
            for off in (0, hidden):
                proj.weight[off + dead] = 0
                proj.bias[off + dead] = 0
            out.weight[:, dead] = 0
    config = {**parent.config, "ff_mult": 2}
    kw = inputs()
    child = prune_unet(parent, config, rule="norm")
    assert torch.allclose(forward(child, kw), forward(parent, kw), atol=1e-5)
    first = prune_unet(parent, config, rule="first")
    assert not torch.allclose(forward(first, kw), forward(parent, kw), atol=1e-3)


def test_norm_rule_keeps_the_largest_transformer_blocks_in_order():
    parent = nano_parent()
    blocks = parent.down_blocks[2].attentions[0].transformer_blocks
    with torch.no_grad():
        for p in blocks[2].parameters():
            p.mul_(3.0)
    child = prune_unet(parent, {**parent.config, "transformer_layers_per_block": (1, 1, 1)}, rule="norm")
    assert torch.equal(child.down_blocks[2].attentions[0].transformer_blocks[0].ff.net[2].weight,
                       blocks[2].ff.net[2].weight)
    first = prune_unet(parent, {**parent.config, "transformer_layers_per_block": (1, 1, 1)}, rule="first")
    assert torch.equal(first.down_blocks[2].attentions[0].transformer_blocks[0].ff.net[2].weight,
                       blocks[0].ff.net[2].weight)


def test_pruned_model_runs_and_its_loss_decreases():
    parent = nano_parent()
    child = prune_unet(parent, {**parent.config, **SMALLER}, rule="norm").train()
    kw = inputs()
    target = torch.randn(2, 4, 8, 16, generator=torch.Generator().manual_seed(5))
    opt = torch.optim.AdamW(child.parameters(), lr=2e-3)
    losses = []
    for _ in range(6):
        loss = torch.nn.functional.mse_loss(child(**kw).sample, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0]


def test_pruning_map_covers_every_child_tensor():
    parent = nano_parent()
    child = prune_unet(parent, {**parent.config, **SMALLER})
    rows = pruning_map(parent, child)
    assert [r[0] for r in rows] == list(child.state_dict())
    parent_names = set(parent.state_dict())
    assert all(r[1] in parent_names and r[2] for r in rows)


@pytest.mark.parametrize("change, field", [
    ({"block_out_channels": (16, 32, 128)}, "block_out_channels"),
    ({"layers_per_block": 3}, "layers_per_block"),
    ({"transformer_layers_per_block": (1, 1, 4)}, "transformer_layers_per_block"),
    ({"down_block_types": ("DreamLiteCrossAttnDownBlock2D", "DreamLiteCrossAttnNoSelfAttnDownBlock2D",
                           "DreamLiteCrossAttnDownBlock2D")}, "down_block_types"),
    ({"use_sep_conv": False}, "use_sep_conv"),
    ({"num_kv_heads": 2}, "num_kv_heads"),
    ({"ff_mult": 4}, "ff_mult"),
    ({"cross_attention_dim": 32}, "axis"),
    ({"encoder_hid_dim": 32}, "encoder_hid_dim"),
    ({"not_a_field": 1}, "not_a_field"),
    ({"_class_name": "UNet2DConditionModel"}, "_class_name"),
    ({"block_out_channels": (16, 32)}, "diffusers cannot build"),
])
def test_child_that_is_not_a_sub_structure_raises_naming_the_field(change, field):
    parent = nano_parent()
    with pytest.raises(ValueError, match=field):
        prune_unet(parent, {**parent.config, **change})


def test_unknown_rule_and_meta_parent_are_refused():
    parent = nano_parent()
    with pytest.raises(ValueError, match="rule"):
        prune_unet(parent, dict(parent.config), rule="random")
    with torch.device("meta"):
        meta = DreamLiteUNetModel(**NANO)
    with pytest.raises(ValueError, match="meta"):
        prune_unet(meta, dict(meta.config))


def test_norm_rule_picks_interchangeable_res_blocks_and_keeps_structural_ones():
    """Down level: res-block 0 is structural (changes the width); up level: the first and the last are structural."""
    parent = nano_parent(layers_per_block=3, transformer_layers_per_block=(1, 1, 1))
    with torch.no_grad():
        extra = list(parent.down_blocks[1].resnets[2].parameters()) + list(parent.up_blocks[1].resnets[2].parameters())
        for p in extra:
            p.mul_(4.0)
    config = {**parent.config, "layers_per_block": 2}
    norm = dict((c, p) for c, p, _ in pruning_map(parent, prune_unet(parent, config, rule="norm"), "norm"))
    first = dict((c, p) for c, p, _ in pruning_map(parent, prune_unet(parent, config, rule="first"), "first"))
    assert norm["down_blocks.1.resnets.1.norm1.weight"] == "down_blocks.1.resnets.2.norm1.weight"
    assert first["down_blocks.1.resnets.1.norm1.weight"] == "down_blocks.1.resnets.1.norm1.weight"
    assert norm["down_blocks.1.attentions.1.proj_in.weight"] == "down_blocks.1.attentions.2.proj_in.weight"
    assert norm["up_blocks.1.resnets.1.norm1.weight"] == "up_blocks.1.resnets.2.norm1.weight"
    assert first["up_blocks.1.resnets.1.norm1.weight"] == "up_blocks.1.resnets.1.norm1.weight"
    for m in (norm, first):
        assert m["down_blocks.1.resnets.0.norm1.weight"] == "down_blocks.1.resnets.0.norm1.weight"
        assert m["up_blocks.1.resnets.0.norm1.weight"] == "up_blocks.1.resnets.0.norm1.weight"
        assert m["up_blocks.1.resnets.2.norm1.weight"] == "up_blocks.1.resnets.3.norm1.weight"
