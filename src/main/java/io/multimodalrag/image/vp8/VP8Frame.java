/*
 * Copyright (c) 2017, Brooss, Harald Kuhr
 * All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * * Redistributions of source code must retain the above copyright notice,
 *   this list of conditions and the following disclaimer.
 *
 * * Redistributions in binary form must reproduce the above copyright notice,
 *   this list of conditions and the following disclaimer in the documentation
 *   and/or other materials provided with the distribution.
 *
 * * Neither the name of the copyright holder nor the names of its
 *   contributors may be used to endorse or promote products derived from
 *   this software without specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
 * AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
 * IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
 * ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
 * LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
 * CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
 * SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
 * INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
 * CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
 * ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
 * POSSIBILITY OF SUCH DAMAGE.
 */

package io.multimodalrag.image.vp8;

import javax.imageio.IIOException;
import javax.imageio.stream.ImageInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one VP8 key frame (the bitstream of a lossy WebP) into 4:2:0 planes.
 * <p>
 * Changed from TwelveMonkeys 3.14.0 (see the package documentation): the loop filter runs on a window of
 * reconstructed rows ({@link ReconstructedRows}) instead of on the macroblocks that later blocks are predicted
 * from, and the planes are returned as they are instead of being converted to RGB.
 */
public final class VP8Frame {
    private static final int BLOCK_TYPES = 4;
    private static final int COEF_BANDS = 8;
    private static final int MAX_ENTROPY_TOKENS = 12;
    private static final int MAX_MODE_LF_DELTAS = 4;
    private static final int MAX_REF_LF_DELTAS = 4;
    private static final int PREV_COEF_CONTEXTS = 3;

    private final int[][][][] coefProbs;
    private int filterLevel;

    private final ImageInputStream frame;
    private final byte[] data;
    private final int dataStart;
    private final int dataEnd;
    private int frameType;
    private int height;

    private int macroBlockCols;
    private int macroBlockNoCoeffSkip;
    private int macroBlockRows;

    private MacroBlock[] currentMacroBlockRow;
    private int currentMacroBlockRowIndex;
    private MacroBlock[] lastNonBPredMacroBlockByColumn;
    // Modes of the row being decoded and of the row above (the context of B_PRED sub-block modes), so the
    // per-macroblock state stays two rows however tall the picture is.
    private int[][] ySubBlockModes;
    private int[][] aboveYSubBlockModes;
    private MacroBlock[] previousMacroBlockRow;
    private MacroBlock[] topMacroBlockRow;
    private int macroBlockSegementAbsoluteDelta;
    private int[] macroBlockSegmentTreeProbs;
    private final int[] modeLoopFilterDeltas = new int[MAX_MODE_LF_DELTAS];
    private int modeRefLoopFilterDeltaEnabled;
    private int modeRefLoopFilterDeltaUpdate;
    private int multiTokenPartition = 0;
    private int probSkipFalse;

    private long offset;
    private final int[] refLoopFilterDeltas = new int[MAX_REF_LF_DELTAS];
    private int refreshEntropyProbs;
    private int segmentationIsEnabled;
    private SegmentQuants segmentQuants;
    private int sharpnessLevel;
    private boolean simpleFilter;
    private BoolDecoder tokenBoolDecoder;
    private final List<BoolDecoder> tokenBoolDecoders;
    private int updateMacroBlockSegmentationMap;
    private int updateMacroBlockSegmentatonData;
    private int width;

    /**
     * @param stream the VP8 chunk's payload, positioned at its first byte: {@code length} bytes of {@code data} from
     *               {@code start}, which the boolean decoders read directly
     */
    public VP8Frame(final ImageInputStream stream, byte[] data, int start, int length) throws IOException {
        this.frame = stream;
        this.data = data;
        this.dataStart = start;
        this.dataEnd = start + length;

        offset = frame.getStreamPosition();
        coefProbs = Globals.getDefaultCoefProbs();
        tokenBoolDecoders = new ArrayList<>();
    }

    private MacroBlock[] createMacroBlockRow(final int mbRow) {
        MacroBlock[] row = new MacroBlock[macroBlockCols + 2];

        for (int mbCol = 0; mbCol < macroBlockCols + 2; mbCol++) {
            row[mbCol] = new MacroBlock(mbCol, mbRow + 1);
        }

        return row;
    }

    private void initializeWindowedDecodeState() {
        ySubBlockModes = new int[macroBlockCols][16];
        aboveYSubBlockModes = new int[macroBlockCols][16];
        topMacroBlockRow = createMacroBlockRow(-1);
        previousMacroBlockRow = topMacroBlockRow;
        currentMacroBlockRow = null;
        currentMacroBlockRowIndex = -1;
        lastNonBPredMacroBlockByColumn = new MacroBlock[macroBlockCols + 2];

        System.arraycopy(topMacroBlockRow, 0, lastNonBPredMacroBlockByColumn, 0, macroBlockCols + 2);
    }

    private static int ySubBlockModeIndex(final int subX, final int subY) {
        return subY * 4 + subX;
    }

    private int getAboveYSubBlockMode(final int mbRow, final int mbCol, final int subX, final int subY) {
        if (subY > 0) {
            return ySubBlockModes[mbCol][ySubBlockModeIndex(subX, subY - 1)];
        }

        return mbRow == 0 ? Globals.B_DC_PRED : aboveYSubBlockModes[mbCol][ySubBlockModeIndex(subX, 3)];
    }

    private int getLeftYSubBlockMode(final int mbCol, final int subX, final int subY) {
        if (subX > 0) {
            return ySubBlockModes[mbCol][ySubBlockModeIndex(subX - 1, subY)];
        }

        return mbCol == 0 ? Globals.B_DC_PRED : ySubBlockModes[mbCol - 1][ySubBlockModeIndex(3, subY)];
    }

    /**
     * Decodes the frame.
     *
     * @param expectedWidth  the width the container declares (and the caller has accepted)
     * @param expectedHeight the height the container declares
     * @return the picture's planes, {@code expectedWidth × expectedHeight}
     * @throws IIOException if the data is not a key frame, is malformed, or is not the size expected
     */
    public YuvPlanes decode(int expectedWidth, int expectedHeight) throws IOException {
        segmentQuants = new SegmentQuants();

        int c = frame.readUnsignedByte();
        frameType = getBitAsInt(c, 0);

        if (frameType != 0) {
            throw new IIOException("the VP8 data is not a key frame");
        }

        int firstPartitionLengthInBytes;
        firstPartitionLengthInBytes = getBitAsInt(c, 5);
        firstPartitionLengthInBytes += getBitAsInt(c, 6) << 1;
        firstPartitionLengthInBytes += getBitAsInt(c, 7) << 2;

        c = frame.readUnsignedByte();
        firstPartitionLengthInBytes += c << 3;

        c = frame.readUnsignedByte();
        firstPartitionLengthInBytes += c << 11;

        // The start code (9d 01 2a); libwebp checks it, TwelveMonkeys skipped it.
        if (frame.readUnsignedByte() != 0x9d || frame.readUnsignedByte() != 0x01 || frame.readUnsignedByte() != 0x2a) {
            throw new IIOException("the VP8 start code is missing");
        }

        c = frame.readUnsignedByte();
        int hBytes = c;
        c = frame.readUnsignedByte();
        hBytes += c << 8;
        width = (hBytes & 0x3fff);

        c = frame.readUnsignedByte();
        int vBytes = c;
        c = frame.readUnsignedByte();
        vBytes += c << 8;
        height = (vBytes & 0x3fff);
        // Checked before anything is allocated for the frame: the caller limited the size the container declares.
        if (width != expectedWidth || height != expectedHeight) {
            throw new IIOException("the VP8 frame is " + width + "×" + height + " but the canvas " + expectedWidth
                    + "×" + expectedHeight);
        }
        int tWidth = width;
        int tHeight = height;
        if ((tWidth & 0xf) != 0) {
            tWidth += 16 - (tWidth & 0xf);
        }

        if ((tHeight & 0xf) != 0) {
            tHeight += 16 - (tHeight & 0xf);
        }
        macroBlockRows = tHeight >> 4;
        macroBlockCols = tWidth >> 4;

        initializeWindowedDecodeState();

        offset = frame.getStreamPosition();

        BoolDecoder bc = new BoolDecoder(data, dataStart, dataEnd, offset);

        bc.readBit(); // colour space: always 0 (YUV) in WebP
        bc.readBit(); // clamping type: reconstruction clamps either way

        segmentationIsEnabled = bc.readBit();

        if (segmentationIsEnabled > 0) {
            updateMacroBlockSegmentationMap = bc.readBit();
            updateMacroBlockSegmentatonData = bc.readBit();

            if (updateMacroBlockSegmentatonData > 0) {
                macroBlockSegementAbsoluteDelta = bc.readBit();
                /* For each segmentation feature (Quant and loop filter level) */
                for (int i = 0; i < Globals.MAX_MB_SEGMENTS; i++) {
                    int value = 0;
                    if (bc.readBit() > 0) {
                        value = bc.readLiteral(Globals.vp8MacroBlockFeatureDataBits[0]);
                        if (bc.readBit() > 0) {
                            value = -value;
                        }
                    }
                    this.segmentQuants.getSegQuants()[i].setQindex(value);
                }
                for (int i = 0; i < Globals.MAX_MB_SEGMENTS; i++) {
                    int value = 0;
                    if (bc.readBit() > 0) {
                        value = bc.readLiteral(Globals.vp8MacroBlockFeatureDataBits[1]);
                        if (bc.readBit() > 0) {
                            value = -value;
                        }
                    }
                    this.segmentQuants.getSegQuants()[i].setFilterStrength(value);
                }
            }
            // The map's tree probabilities come after the segment data, whether or not that is updated
            // (RFC 6386 9.3; libwebp's ParseSegmentHeader). TwelveMonkeys read them only with the data.
            if (updateMacroBlockSegmentationMap > 0) {
                macroBlockSegmentTreeProbs = new int[Globals.MB_FEATURE_TREE_PROBS];
                for (int i = 0; i < Globals.MB_FEATURE_TREE_PROBS; i++) {
                    int value = bc.readBit() > 0 ? bc.readLiteral(8) : 255;
                    macroBlockSegmentTreeProbs[i] = value;
                }
            }
        }

        simpleFilter = bc.readBit() != 0;
        filterLevel = bc.readLiteral(6);
        sharpnessLevel = bc.readLiteral(3);
        modeRefLoopFilterDeltaEnabled = bc.readBit();

        if (modeRefLoopFilterDeltaEnabled > 0) {
            // Do the deltas need to be updated
            modeRefLoopFilterDeltaUpdate = bc.readBit();
            if (modeRefLoopFilterDeltaUpdate > 0) {
                for (int i = 0; i < MAX_REF_LF_DELTAS; i++) {
                    if (bc.readBit() > 0) {
                        refLoopFilterDeltas[i] = bc.readLiteral(6);
                        if (bc.readBit() > 0) { // Apply sign
                            refLoopFilterDeltas[i] = refLoopFilterDeltas[i] * -1;
                        }
                    }
                }
                for (int i = 0; i < MAX_MODE_LF_DELTAS; i++) {
                    if (bc.readBit() > 0) {
                        modeLoopFilterDeltas[i] = bc.readLiteral(6);
                        if (bc.readBit() > 0) { // Apply sign
                            modeLoopFilterDeltas[i] = modeLoopFilterDeltas[i] * -1;
                        }
                    }
                }
            }
        }

        setupTokenDecoder(bc, firstPartitionLengthInBytes, offset);
        bc.seek();

        segmentQuants.parse(bc, segmentationIsEnabled == 1, macroBlockSegementAbsoluteDelta == 1);

        refreshEntropyProbs = bc.readBit();

        for (int i = 0; i < BLOCK_TYPES; i++) {
            for (int j = 0; j < COEF_BANDS; j++) {
                for (int k = 0; k < PREV_COEF_CONTEXTS; k++) {
                    for (int l = 0; l < MAX_ENTROPY_TOKENS - 1; l++) {
                        if (bc.readBool(Globals.vp8CoefUpdateProbs[i][j][k][l]) > 0) {
                            int newp = bc.readLiteral(8);
                            this.coefProbs[i][j][k][l] = newp;
                        }
                    }
                }
            }
        }

        // Read the mb_no_coeff_skip flag
        macroBlockNoCoeffSkip = bc.readBit();
        probSkipFalse = macroBlockNoCoeffSkip > 0 ? bc.readLiteral(8) : 0;

        int ibc = 0;
        int parts = 1 << multiTokenPartition;

        // libwebp filters only when the frame's level is non-zero, whatever the segments say.
        LoopFilter.Type filterType = filterLevel == 0 ? LoopFilter.Type.NONE
                : simpleFilter ? LoopFilter.Type.SIMPLE : LoopFilter.Type.NORMAL;
        ReconstructedRows rows = new ReconstructedRows(width, height, macroBlockCols);

        for (int row = 0; row < macroBlockRows; row++) {
            if (parts > 1) {
                tokenBoolDecoder = tokenBoolDecoders.get(ibc);
                tokenBoolDecoder.seek();

                ibc++;
                if (ibc == parts) {
                    ibc = 0;
                }
            }

            currentMacroBlockRow = createMacroBlockRow(row);
            currentMacroBlockRowIndex = row;

            // The modes of a row are read from the first partition just before its tokens, as libwebp does.
            readModeRow(bc, row);
            decodeMacroBlockRow(row, rows, filterType);

            previousMacroBlockRow = currentMacroBlockRow;
            currentMacroBlockRow = null;
            currentMacroBlockRowIndex = -1;
        }

        return rows.planes();
    }

    /**
     * Reconstructs a row of macroblocks from unfiltered neighbours (the previous row's macroblocks are never
     * filtered), copies them into {@code rows}, and only then filters them there, in raster order: the order of
     * RFC 6386 and libwebp. TwelveMonkeys filtered each macroblock in place right after decoding it, so its
     * right and lower neighbours were predicted from filtered pixels.
     */
    private void decodeMacroBlockRow(final int mbRow, final ReconstructedRows rows, final LoopFilter.Type filterType)
            throws IOException {
        MacroBlock[] currRow = currentMacroBlockRow;

        for (int mbCol = 0; mbCol < macroBlockCols; mbCol++) {
            MacroBlock mb = currRow[mbCol + 1];

            mb.decodeMacroBlock(this);
            mb.dequantMacroBlock(this);

            rows.put(mb, mbCol);

            if (mb.getYMode() != Globals.B_PRED) {
                lastNonBPredMacroBlockByColumn[mbCol + 1] = mb;
            }
        }

        if (filterType != LoopFilter.Type.NONE) {
            for (int mbCol = 0; mbCol < macroBlockCols; mbCol++) {
                MacroBlock mb = currRow[mbCol + 1];
                LoopFilter.filterMacroBlock(rows, mbCol, mbCol > 0, mbRow > 0, filterType,
                        LoopFilter.Strength.of(mb, sharpnessLevel));
            }
        }

        rows.finishRow(mbRow, mbRow == macroBlockRows - 1);
    }

    SubBlock getAboveRightSubBlock(SubBlock sb, SubBlock.Plane plane) {
        // this might break at right edge
        SubBlock r;
        MacroBlock mb = sb.getMacroBlock();
        int x = mb.getSubblockX(sb);
        int y = mb.getSubblockY(sb);

        if (plane == SubBlock.Plane.Y1) {
            // top row
            if (y == 0 && x < 3) {
                MacroBlock mb2 = this.getMacroBlock(mb.getX(), mb.getY() - 1);
                r = mb2.getSubBlock(plane, x + 1, 3);
                return r;
            }
            //top right
            else if (y == 0 && x == 3) {
                MacroBlock mb2 = this.getMacroBlock(mb.getX() + 1, mb.getY() - 1);
                r = mb2.getSubBlock(plane, 0, 3);

                if (mb2.getX() == this.getMacroBlockCols()) {

                    int[][] dest = new int[4][4];
                    for (int b = 0; b < 4; b++) {
                        for (int a = 0; a < 4; a++) {
                            if (mb2.getY() < 0) {
                                dest[a][b] = 127;
                            }
                            else {
                                dest[a][b] = this.getMacroBlock(mb.getX(), mb.getY() - 1).getSubBlock(SubBlock.Plane.Y1, 3, 3).getDest()[3][3];
                            }
                        }
                    }
                    r = new SubBlock(mb2, null, null, SubBlock.Plane.Y1);
                    r.setDest(dest);
                }

                return r;
            }
            //not right edge or top row
            else if (y > 0 && x < 3) {
                r = mb.getSubBlock(plane, x + 1, y - 1);
                return r;
            }
            //else use top right
            else {
                SubBlock sb2 = mb.getSubBlock(sb.getPlane(), 3, 0);
                return this.getAboveRightSubBlock(sb2, plane);
            }
        }
        else {
            throw new IllegalArgumentException("bad input: getAboveRightSubBlock()");
        }
    }

    SubBlock getAboveSubBlock(SubBlock sb, SubBlock.Plane plane) {
        SubBlock above = sb.getAbove();

        if (above == null) {
            MacroBlock mb = sb.getMacroBlock();
            int x = mb.getSubblockX(sb);

            MacroBlock mb2 = getMacroBlock(mb.getX(), mb.getY() - 1);
            if (plane == SubBlock.Plane.Y2 && mb2.getYMode() == Globals.B_PRED) {
                mb2 = lastNonBPredMacroBlockByColumn[mb.getX() + 1];
            }

            above = mb2.getBottomSubBlock(x, sb.getPlane());
        }

        return above;
    }

    private int getBitAsInt(int data, int bit) {
        int r = data & (1 << bit);
        if (r != 0) {
            return 1;
        }
        return 0;
    }

    int[][][][] getCoefProbs() {
        return coefProbs;
    }

    public int getWidth() {
        return width;
    }

    public int getHeight() {
        return height;
    }

    SubBlock getLeftSubBlock(SubBlock sb, SubBlock.Plane plane) {
        SubBlock r = sb.getLeft();
        if (r == null) {
            MacroBlock mb = sb.getMacroBlock();
            int y = mb.getSubblockY(sb);
            MacroBlock mb2 = getMacroBlock(mb.getX() - 1, mb.getY());

            while (plane == SubBlock.Plane.Y2 && mb2.getYMode() == Globals.B_PRED) {
                mb2 = getMacroBlock(mb2.getX() - 1, mb2.getY());
            }

            r = mb2.getRightSubBlock(y, sb.getPlane());
        }

        return r;
    }

    MacroBlock getMacroBlock(int mbCol, int mbRow) {
        if (mbRow == currentMacroBlockRowIndex && currentMacroBlockRow != null) {
            return currentMacroBlockRow[mbCol + 1];
        }

        if (mbRow == currentMacroBlockRowIndex - 1 && previousMacroBlockRow != null) {
            return previousMacroBlockRow[mbCol + 1];
        }

        if (mbRow < currentMacroBlockRowIndex - 1 && mbRow >= -1) {
            if (mbCol < 0 || mbCol >= macroBlockCols) {
                return topMacroBlockRow[mbCol + 1];
            }

            return lastNonBPredMacroBlockByColumn[mbCol + 1];
        }

        return topMacroBlockRow[mbCol + 1];
    }

    public int getMacroBlockCols() {
        return macroBlockCols;
    }

    SegmentQuants getSegmentQuants() {
        return segmentQuants;
    }

    BoolDecoder getTokenBoolDecoder() throws IOException {
        tokenBoolDecoder.seek();
        return tokenBoolDecoder;
    }

    private void readModeRow(BoolDecoder bc, int mb_row) throws IOException {
        // The decoders share one stream and read it from its current position: the token decoder moved it.
        bc.seek();
        int[][] swap = aboveYSubBlockModes;
        aboveYSubBlockModes = ySubBlockModes;
        ySubBlockModes = swap;

        for (int mb_col = 0; mb_col < macroBlockCols; mb_col++) {
            MacroBlock macroBlock = currentMacroBlockRow[mb_col + 1];
            int segmentId = 0;
            if ((segmentationIsEnabled > 0) && (updateMacroBlockSegmentationMap > 0)) {
                segmentId = bc.readTree(Globals.macroBlockSegmentTree, this.macroBlockSegmentTreeProbs, 0);
            }
            macroBlock.setSegmentId(segmentId);

            macroBlock.setSkipCoeff(macroBlockNoCoeffSkip > 0 ? bc.readBool(probSkipFalse) : 0);

            int yMode = readYMode(bc);
            macroBlock.setYMode(yMode);
            int[] modes = ySubBlockModes[mb_col];

            if (yMode == Globals.B_PRED) {
                for (int subY = 0; subY < 4; subY++) {
                    for (int subX = 0; subX < 4; subX++) {
                        int aboveMode = getAboveYSubBlockMode(mb_row, mb_col, subX, subY);
                        int leftMode = getLeftYSubBlockMode(mb_col, subX, subY);
                        modes[ySubBlockModeIndex(subX, subY)] = readSubBlockMode(bc, aboveMode, leftMode);
                    }
                }
            }
            else {
                int blockMode;

                switch (yMode) {
                    case Globals.V_PRED:
                        blockMode = Globals.B_VE_PRED;
                        break;
                    case Globals.H_PRED:
                        blockMode = Globals.B_HE_PRED;
                        break;
                    case Globals.TM_PRED:
                        blockMode = Globals.B_TM_PRED;
                        break;
                    case Globals.DC_PRED:
                    default:
                        blockMode = Globals.B_DC_PRED;
                        break;
                }

                for (int i = 0; i < 16; i++) {
                    modes[i] = blockMode;
                }
            }
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    macroBlock.getYSubBlock(x, y).setMode(modes[ySubBlockModeIndex(x, y)]);
                }
            }

            macroBlock.setFilterLevel(filterLevelOf(segmentId, yMode == Globals.B_PRED));
            macroBlock.setUvMode(readUvMode(bc));
        }
    }

    /**
     * The macroblock's loop-filter level as libwebp computes it ({@code PrecomputeFilterStrengths}): the segment's
     * level (absolute, or relative to the frame's), plus the reference-frame delta and, for B_PRED, the mode delta,
     * clamped once. TwelveMonkeys ignored the frame level without segmentation and the segment level with deltas.
     */
    private int filterLevelOf(int segmentId, boolean bPred) {
        int level = filterLevel;
        if (segmentationIsEnabled > 0) {
            level = segmentQuants.getSegQuants()[segmentId].getFilterStrength();
            if (macroBlockSegementAbsoluteDelta == 0) {
                level += filterLevel;
            }
        }
        if (modeRefLoopFilterDeltaEnabled > 0) {
            level += refLoopFilterDeltas[0];
            if (bPred) {
                level += modeLoopFilterDeltas[0];
            }
        }
        return Math.max(0, Math.min(63, level));
    }

    private int readPartitionSize(long l) throws IOException {
        frame.seek(l);
        return frame.readUnsignedByte() + (frame.readUnsignedByte() << 8) + (frame.readUnsignedByte() << 16);
    }

    private int readSubBlockMode(BoolDecoder bc, int A, int L) throws IOException {
        return bc.readTree(Globals.vp8SubBlockModeTree, Globals.vp8KeyFrameSubBlockModeProb[A][L], 0);
    }

    private int readUvMode(BoolDecoder bc) throws IOException {
        return bc.readTree(Globals.vp8UVModeTree, Globals.vp8KeyFrameUVModeProb, 0);
    }

    private int readYMode(BoolDecoder bc) throws IOException {
        return bc.readTree(Globals.vp8KeyFrameYModeTree, Globals.vp8KeyFrameYModeProb, 0);
    }

    private void setupTokenDecoder(BoolDecoder bc, int first_partition_length_in_bytes, long offset) throws IOException {
        long partitionSize;
        long partitionsStart = offset + first_partition_length_in_bytes;
        long partition = partitionsStart;
        multiTokenPartition = bc.readLiteral(2);
        int num_part = 1 << multiTokenPartition;

        if (num_part > 1) {
            partition += 3L * (num_part - 1);
        }
        for (int i = 0; i < num_part; i++) {
            // Calculate the length of this partition. The last partition size is implicit.
            if (i < num_part - 1) {
                partitionSize = readPartitionSize(partitionsStart + (i * 3L));
                bc.seek();
            }
            else {
                partitionSize = frame.length() - partition;
            }

            tokenBoolDecoders.add(new BoolDecoder(data, dataStart, dataEnd, partition));
            partition += partitionSize;
        }

        tokenBoolDecoder = tokenBoolDecoders.get(0);
    }
}
