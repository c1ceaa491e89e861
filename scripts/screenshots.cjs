// Screenshots of process groups in the NiFi 2.x UI with Playwright (playwright-core) driving Debian's Chromium:
// for each group it opens the group's canvas, collapses the Navigation and Operation palettes, fits the flow to the
// window with the Navigation palette's fit button, and writes OUT_DIR/<name>.png (a 256-colour PNG, upng-js).
// Usage: node scripts/screenshots.cjs BASE_URL OUT_DIR name=groupId...
// Called by scripts/screenshots.sh (which starts the demo and provides playwright-core and upng-js); the browser is closed on
// every path out, and on SIGINT/SIGTERM Playwright closes it too.
'use strict';

const { chromium } = require('playwright-core');
const UPNG = require('upng-js');
const fs = require('fs');
const path = require('path');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// NiFi draws a component's name, stats and icons only from a scale of 0.6 up (below, grey boxes); the window is
// sized so that "Fit" lands a little above that, which keeps every label readable at 1:1.
const SCALE = Number(process.env.SHOT_SCALE || 0.62);
const PAD = 60;
const LIMIT = 6000;

async function collapsePalettes(page) {
    // Each palette's header toggles it; its expansion icon shows fa-minus-square-o while the palette is open.
    for (const palette of ['navigation-control', 'operation-control']) {
        const header = page.locator('.' + palette + '-header').first();
        if (await header.count() === 0) {
            throw new Error('no ' + palette + ' palette found');
        }
        if (await page.locator('.' + palette + '-expansion.fa-minus-square-o').count() > 0) {
            await header.click();
        }
        // Collapsed, the palette keeps only its icon.
        await page.locator('.' + palette + '-expansion.fa-minus-square-o').first().waitFor({ state: 'detached', timeout: 10000 });
    }
}

/** The flow's box in canvas units and where the canvas starts on the page (below the header). */
async function flowBox(page) {
    return page.evaluate(() => {
        let g = document.querySelector('g.processor').parentElement;
        while (g && !(g.getAttribute('transform') || '').includes('scale')) {
            g = g.parentElement;
        }
        const box = g.getBBox();
        const svg = g.ownerSVGElement.getBoundingClientRect();
        return { width: box.width, height: box.height, top: svg.top, chrome: window.innerHeight - svg.height };
    });
}

async function currentScale(page) {
    return page.evaluate(() => {
        let g = document.querySelector('g.processor').parentElement;
        while (g && !(g.getAttribute('transform') || '').includes('scale')) {
            g = g.parentElement;
        }
        // "scale(s)" or, after a zoom transition, "scale(s,s)".
        return Number(/scale\(\s*([0-9.eE+-]+)/.exec(g.getAttribute('transform'))[1]);
    });
}

async function fit(page) {
    // The Navigation palette's zoom-fit button (icon-zoom-fit) scales and centres the flow in the canvas.
    const button = page.locator('button:has(i.icon-zoom-fit)').first();
    if (await button.count() === 0) {
        throw new Error('no Fit button found');
    }
    await button.click();
}

async function shoot(browser, base, outDir, name, groupId) {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1200 }, ignoreHTTPSErrors: true });
    try {
        const page = await context.newPage();
        const url = base + '/nifi/#/process-groups/' + groupId;
        await page.goto(url, { waitUntil: 'networkidle', timeout: 120000 });
        await page.waitForSelector('g.processor', { timeout: 120000 });
        // Plain background and no drop shadows: the same picture, a much smaller PNG.
        await page.addStyleTag({ content: '#canvas-container { background-image: none !important; } '
            + '[filter] { filter: none !important; }' });
        // Size the window to the flow at SCALE, then let NiFi fit the flow into it.
        const box = await flowBox(page);
        const width = Math.min(LIMIT, Math.ceil(box.width * SCALE + 2 * PAD));
        const height = Math.min(LIMIT, Math.ceil(box.height * SCALE + 2 * PAD + box.chrome));
        await page.setViewportSize({ width, height });
        await page.waitForTimeout(1000);
        await fit(page);
        await page.waitForTimeout(1500);
        await collapsePalettes(page);
        // Collapsed, each palette still leaves its icon over the canvas's left edge (on the first label): hide it.
        await page.addStyleTag({ content: 'graph-controls { visibility: hidden !important; }' });
        // Zooming renders the details again after a short debounce.
        await page.waitForTimeout(2500);
        const scale = await currentScale(page);
        const file = path.join(outDir, name + '.png');
        // A 256-colour palette PNG (upng-js): the UI has few colours, and the file is a third of the 24-bit one.
        const shot = UPNG.decode(await page.screenshot());
        fs.writeFileSync(file, Buffer.from(UPNG.encode(UPNG.toRGBA8(shot), shot.width, shot.height, 256)));
        console.log('Wrote ' + file + ' (' + width + 'x' + height + ', scale ' + scale.toFixed(2) + ')');
        if (scale < 0.6) {
            throw new Error(name + ': the fitted scale ' + scale + ' is below 0.6, where NiFi hides the component details');
        }
    } finally {
        await context.close();
    }
}

async function main() {
    const [base, outDir, ...groups] = process.argv.slice(2);
    if (!base || !outDir || groups.length === 0) {
        console.error('usage: node screenshots.cjs BASE_URL OUT_DIR name=groupId...');
        process.exit(2);
    }
    const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync'],
    });
    try {
        for (const entry of groups) {
            const at = entry.indexOf('=');
            await shoot(browser, base, outDir, entry.slice(0, at), entry.slice(at + 1));
        }
    } finally {
        await browser.close();
    }
}

main().catch((error) => {
    console.error(error && error.stack ? error.stack : String(error));
    process.exit(1);
});
