package io.multimodalrag.clip;

/**
 * Where CLIP's {@code Resize(S)} + {@code CenterCrop(S)} put an image, with torchvision 0.14's exact integer rules.
 *
 * @param resizedWidth  width after resizing the shortest side to S
 * @param resizedHeight height after resizing the shortest side to S
 * @param cropLeft      first column of the S×S centre crop in the resized image
 * @param cropTop       first row of the S×S centre crop in the resized image
 */
record ClipCropGeometry(int resizedWidth, int resizedHeight, int cropLeft, int cropTop) {

    static ClipCropGeometry of(int width, int height, int size) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("the image is " + width + "×" + height + "; pass a decoded image with pixels");
        }
        // torchvision _compute_resized_output_size: the short side becomes `size`, the long side is
        // int(size * long / short), a truncated true division (Python's `/` on ints, then int()).
        boolean portrait = width <= height;
        int shortSide = portrait ? width : height;
        int longSide = portrait ? height : width;
        int newLong = (int) ((double) size * longSide / shortSide);
        int resizedWidth = portrait ? size : newLong;
        int resizedHeight = portrait ? newLong : size;
        // torchvision center_crop: int(round((h - size) / 2.0)); Python 3 rounds half to even, as Math.rint does.
        int cropTop = (int) Math.rint((resizedHeight - size) / 2.0);
        int cropLeft = (int) Math.rint((resizedWidth - size) / 2.0);
        return new ClipCropGeometry(resizedWidth, resizedHeight, cropLeft, cropTop);
    }
}
