/**
 * A VP8 key-frame decoder (the lossy WebP bitstream) that reconstructs the same 4:2:0 planes as libwebp.
 * <p>
 * Copied from TwelveMonkeys ImageIO 3.14.0 ({@code com.twelvemonkeys.imageio.plugins.webp.vp8}, BSD 3-Clause,
 * licence kept in each copied file; see {@code META-INF/THIRD-PARTY-vp8.txt}) and changed where it differed from
 * libwebp: the loop filter runs after reconstruction, in raster order, on a window of rows
 * ({@code ReconstructedRows}) so that prediction sees unfiltered pixels; filter levels, the inner-edge rule, the
 * segment-map probabilities and the chroma DC quantizer cap follow libwebp; modes are read a row at a time; the
 * result is planes rather than RGB. Debug images, the progress listener and the source-region support are gone.
 */
package io.multimodalrag.image.vp8;
