/**
 * @module
 * A realistic demo catalogue (240 products in 8 categories) so a fresh database shows data at
 * once: `npm run db:seed`, and `npm start` / `npm run dev` on an empty local database.
 * The products are pure, runtime-neutral data, the same on every call; seedIfEmpty creates
 * them through the catalogue's use cases (scripts/seed.ts --d1 writes them as SQL instead).
 */
import type { Background } from "../background";
import type { Catalogue } from "./catalogue";
import type { ProductInput } from "./types";

interface ProductLine {
  noun: string;
  qualifiers: string[];
  /** Price range in whole currency units. */
  min: number;
  max: number;
}

interface CategorySpec {
  category: string;
  brands: string[];
  lines: ProductLine[];
  openers: string[];
  features: string[];
  closers: string[];
}

const PER_CATEGORY = 30;
const IMAGE_HOST = "https://images.jollyjet.example";

const CATEGORIES: CategorySpec[] = [
  {
    category: "Electronics",
    brands: ["Lumen", "Voltix", "Quanta", "Nimbus", "Arcwave", "Pixelle", "Ohmic", "Strata"],
    lines: [
      { noun: "Desk Lamp", qualifiers: ["40W", "LED", "Dimmable", "Architect", "Clamp-On"], min: 19, max: 149 },
      { noun: "Earbuds", qualifiers: ["Wireless", "Noise-Cancelling", "Sport", "Open-Ear", "Studio"], min: 29, max: 299 },
      { noun: "Bluetooth Speaker", qualifiers: ["Waterproof", "Pocket", "360°", "Party", "Retro"], min: 24, max: 399 },
      { noun: "Power Bank", qualifiers: ["10000mAh", "20000mAh", "MagSafe", "Solar", "Slim"], min: 19, max: 129 },
      { noun: "Monitor", qualifiers: ['27" 4K', '24" IPS', '34" Ultrawide', "Portable", "144Hz"], min: 149, max: 1299 },
      { noun: "Mechanical Keyboard", qualifiers: ["Tenkeyless", "Low-Profile", "Hot-Swap", "Wireless", "Compact"], min: 59, max: 349 },
      { noun: "Action Camera", qualifiers: ["4K", "Waterproof", "Stabilised", "Mini", "360°"], min: 89, max: 649 },
    ],
    openers: [
      "With the {name} you get dependable everyday performance at your desk, in your bag or in the living room.",
      "Designed by {brand}, the {noun} is built for people who want technology that simply works.",
      "Meet the {name}, made by {brand} to punch well above its weight.",
    ],
    features: [
      "It charges over USB-C and reaches a full charge in about two hours.",
      "Firmware updates arrive over the air through the free companion app.",
      "A low-power standby mode keeps energy use to a minimum.",
      "The aluminium housing dissipates heat quietly, without a fan.",
      "Setup takes under a minute, with no drivers to install.",
    ],
    closers: [
      "Backed by a two-year warranty.",
      "Ships with a braided cable and a quick-start guide.",
      "Recyclable packaging, printed with plant-based inks.",
    ],
  },
  {
    category: "Books",
    brands: ["Harbor Press", "Juniper", "Northlight", "Quill & Ink", "Blue Heron", "Paper Lantern", "Atlas House", "Foxglove"],
    lines: [
      { noun: "Cookbook", qualifiers: ["Mediterranean", "Weeknight", "Vegan", "Baking", "Slow Cooker", "Street Food"], min: 12, max: 45 },
      { noun: "Novel", qualifiers: ["Mystery", "Sci-Fi", "Historical", "Romance", "Literary", "Thriller"], min: 8, max: 29 },
      { noun: "Field Guide", qualifiers: ["Birdwatching", "Wildflower", "Mushroom", "Night Sky", "Seashore"], min: 14, max: 39 },
      { noun: "Atlas", qualifiers: ["World", "Ocean", "Historical", "Illustrated", "Road"], min: 19, max: 89 },
      { noun: "Graphic Novel", qualifiers: ["Fantasy", "Noir", "Space Opera", "Coming-of-Age", "Anthology"], min: 14, max: 49 },
      { noun: "Workbook", qualifiers: ["Calligraphy", "Python", "Sketching", "Spanish", "Mindfulness"], min: 9, max: 35 },
    ],
    openers: [
      "The {name} is a beautifully produced title that belongs on every shelf.",
      "Readers keep coming back to the {name}, a {qualifier} favourite that rewards every reading.",
      "Part of the acclaimed {brand} list, this {noun} is a joy to hold and hard to put down.",
    ],
    features: [
      "Printed on thick, acid-free paper with a lay-flat binding.",
      "It includes a ribbon bookmark and a detailed index.",
      "Full-colour illustrations accompany almost every chapter.",
      "This edition adds a new foreword and reader's notes.",
      "Its pocket-friendly format is ideal for commutes and travel.",
    ],
    closers: ["A thoughtful gift for curious minds.", "Perfect for book clubs.", "Signed copies are available while stocks last."],
  },
  {
    category: "Home & Kitchen",
    brands: ["Hearth", "Copperleaf", "Maison Nord", "Oakly", "Saltbox", "Kettle & Co", "Terrace", "Brightwell"],
    lines: [
      { noun: "Chef's Knife", qualifiers: ['8"', "Damascus", "Japanese", "Forged", "Santoku-Style"], min: 29, max: 249 },
      { noun: "Dutch Oven", qualifiers: ["5 Qt", "Enamelled", "Cast-Iron", "Oval", "7 Qt"], min: 49, max: 379 },
      { noun: "Coffee Grinder", qualifiers: ["Burr", "Manual", "Electric", "Conical", "Travel"], min: 24, max: 299 },
      { noun: "Linen Duvet Set", qualifiers: ["Stonewashed", "Queen", "King", "Twin", "Organic"], min: 89, max: 349 },
      { noun: "Air Fryer", qualifiers: ["5.5L", "Dual-Basket", "Compact", "Digital", "Oven-Style"], min: 59, max: 279 },
      { noun: "Storage Jar Set", qualifiers: ["Glass", "Bamboo-Lid", "Airtight", "Stackable", "Ceramic"], min: 14, max: 69 },
      { noun: "Stand Mixer", qualifiers: ["5 Qt", "Tilt-Head", "Bowl-Lift", "Mini", "Professional"], min: 129, max: 799 },
    ],
    openers: [
      "The {name} makes everyday cooking and living a little more pleasant.",
      "{brand} designed this {qualifier} {noun} to earn a permanent place in your home.",
      "Built to last, the {name} combines honest materials with thoughtful details.",
    ],
    features: [
      "Every part that touches food is BPA-free and dishwasher-safe.",
      "It is finished by hand and inspected before it leaves the workshop.",
      "The neutral design suits both modern and traditional interiors.",
      "Non-slip feet keep it steady on any worktop.",
      "Replacement parts are available for at least ten years.",
    ],
    closers: [
      "Comes with a lifetime guarantee against defects.",
      "Makes a lovely housewarming gift.",
      "Care instructions are printed inside the box.",
    ],
  },
  {
    category: "Outdoors",
    brands: ["Ridgeline", "Timberwolf", "Summit & Sky", "Cairn", "Driftwood", "Northbound", "Trailhead", "Alpenglow"],
    lines: [
      { noun: "Backpacking Tent", qualifiers: ["2-Person", "Ultralight", "4-Season", "Freestanding", "3-Person"], min: 129, max: 899 },
      { noun: "Sleeping Bag", qualifiers: ["Down", "-10°C", "Summer", "Mummy", "Synthetic"], min: 59, max: 549 },
      { noun: "Trekking Poles", qualifiers: ["Carbon", "Folding", "Aluminium", "Cork-Grip", "Adjustable"], min: 39, max: 199 },
      { noun: "Camp Stove", qualifiers: ["Compact", "Two-Burner", "Wood-Burning", "Canister", "Titanium"], min: 29, max: 249 },
      { noun: "Headlamp", qualifiers: ["400-Lumen", "Rechargeable", "Red-Light", "Waterproof", "Trail-Running"], min: 19, max: 119 },
      { noun: "Water Filter", qualifiers: ["Squeeze", "Gravity", "Pump", "Straw", "UV"], min: 19, max: 149 },
    ],
    openers: [
      "The {name} is trail-tested gear for weekend hikes and long expeditions alike.",
      "From {brand}, the {qualifier} {noun} will keep you comfortable when the weather turns.",
      "Pack the {name} and head out with confidence.",
    ],
    features: [
      "It packs down small and weighs less than you would expect.",
      "Reinforced seams and recycled ripstop fabrics stand up to rough use.",
      "Every component can be repaired in the field with basic tools.",
      "It has been tested in alpine conditions through all four seasons.",
      "A reflective trim keeps you visible at dusk.",
    ],
    closers: [
      "Includes a stuff sack and repair kit.",
      "Leave no trace: the packaging is fully compostable.",
      "Covered by our no-questions repair programme.",
    ],
  },
  {
    category: "Toys",
    brands: ["Pebble", "Wonderbox", "Kitekid", "Tinker Town", "Bumblebee", "Marble Moon", "Playwright", "Zigzag"],
    lines: [
      { noun: "Building Blocks Set", qualifiers: ["120-Piece", "Wooden", "Magnetic", "Castle", "Space Station"], min: 14, max: 129 },
      { noun: "Jigsaw Puzzle", qualifiers: ["1000-Piece", "500-Piece", "World Map", "Panorama", "Glow-in-the-Dark"], min: 9, max: 39 },
      { noun: "Plush Bear", qualifiers: ["Giant", "Pocket", "Organic Cotton", "Weighted", "Classic"], min: 9, max: 79 },
      { noun: "Board Game", qualifiers: ["Strategy", "Co-op", "Family", "Party", "Two-Player"], min: 19, max: 89 },
      { noun: "Remote Control Car", qualifiers: ["Off-Road", "Stunt", "Drift", "Amphibious", "Rock-Crawler"], min: 29, max: 199 },
      { noun: "Science Kit", qualifiers: ["Crystal", "Volcano", "Robotics", "Microscope", "Chemistry"], min: 19, max: 99 },
    ],
    openers: [
      "The {name} turns an ordinary afternoon into an adventure.",
      "Kids and grown-ups alike love this {qualifier} {noun} from {brand}.",
      "Spark imagination with the {name}, made for hours of open-ended play.",
    ],
    features: [
      "All paints and finishes are non-toxic and child-safe.",
      "Pieces are sized for small hands and sturdy enough to last.",
      "It encourages problem-solving, creativity and teamwork.",
      "A picture guide helps young players get started on their own.",
      "No batteries are needed for the core play experience.",
    ],
    closers: ["Recommended for ages 6 and up.", "Gift-wrapped free of charge on request.", "Meets EN 71 and ASTM toy-safety standards."],
  },
  {
    category: "Beauty",
    brands: ["Aurelia", "Bloom & Birch", "Velvetine", "Saltwater", "Petal Lab", "Lunaria", "Verdant", "Glowhaus"],
    lines: [
      { noun: "Face Serum", qualifiers: ["Vitamin C", "Hyaluronic", "Niacinamide", "Retinol", "Peptide"], min: 14, max: 89 },
      { noun: "Moisturiser", qualifiers: ["Daily", "Night", "Oil-Free", "Rich", "Tinted SPF 30"], min: 12, max: 79 },
      { noun: "Lip Balm Trio", qualifiers: ["Honey", "Mint", "Tinted", "Shea", "Berry"], min: 6, max: 24 },
      { noun: "Shampoo", qualifiers: ["Volumising", "Sulfate-Free", "Repair", "Clarifying", "Curl"], min: 8, max: 39 },
      { noun: "Eau de Parfum", qualifiers: ["Amber", "Citrus", "Vetiver", "Rose", "Sea Salt"], min: 39, max: 189 },
      { noun: "Hair Dryer", qualifiers: ["Ionic", "Travel", "Diffuser", "Quiet", "Salon"], min: 39, max: 399 },
    ],
    openers: [
      "The {name} is a small daily ritual that makes a big difference.",
      "Formulated by {brand}, this {qualifier} {noun} is gentle enough for everyday use.",
      "Treat yourself to the {name}, a cult favourite for good reason.",
    ],
    features: [
      "It is vegan, cruelty-free and dermatologically tested.",
      "The lightweight texture absorbs quickly without residue.",
      "Fragrance comes only from natural essential oils.",
      "The refillable packaging cuts plastic waste by two thirds.",
      "It suits all skin and hair types, including sensitive ones.",
    ],
    closers: ["Patch-test before first use.", "Made in small batches.", "Free samples with every order."],
  },
  {
    category: "Fashion",
    brands: ["Marlow", "Indigo Row", "Fable & Thread", "Corvo", "Linden", "Eastmere", "Wren", "Halcyon"],
    lines: [
      { noun: "Denim Jacket", qualifiers: ["Classic", "Cropped", "Sherpa-Lined", "Oversized", "Selvedge"], min: 49, max: 249 },
      { noun: "Wool Scarf", qualifiers: ["Merino", "Cashmere-Blend", "Chunky", "Tartan", "Lightweight"], min: 19, max: 149 },
      { noun: "Leather Belt", qualifiers: ["Brown", "Black", "Braided", "Reversible", "Suede"], min: 24, max: 119 },
      { noun: "Sneakers", qualifiers: ["Canvas", "Leather", "Low-Top", "High-Top", "Recycled"], min: 39, max: 219 },
      { noun: "Aviator Sunglasses", qualifiers: ["Polarised", "Titanium", "Gradient", "Mirrored", "Classic"], min: 29, max: 299 },
      { noun: "Linen Shirt", qualifiers: ["Relaxed", "Slim-Fit", "Short-Sleeve", "Band-Collar", "Striped"], min: 29, max: 129 },
      { noun: "Weekender Bag", qualifiers: ["Waxed Canvas", "Leather", "Nylon", "Convertible", "Vintage"], min: 69, max: 449 },
    ],
    openers: [
      "Make the {name} a wardrobe staple that only gets better with wear.",
      "Cut and finished by {brand}, the {name} will pair with everything you own.",
      "Timeless and easy to style, the {name} will take you from Monday to the weekend.",
    ],
    features: [
      "It is made from responsibly sourced materials in a family-run factory.",
      "Reinforced stitching at the stress points keeps it in shape.",
      "The fit runs true to size; see the size guide for measurements.",
      "Garment-dyed for a soft, lived-in look from day one.",
      "Hardware is solid brass and will not tarnish.",
    ],
    closers: ["Free returns within 30 days.", "Machine-washable on a cool cycle.", "Each piece is individually numbered."],
  },
  {
    category: "Sports",
    brands: ["Velocity", "Iron Peak", "Stride", "Apex Forge", "Tidewater", "Kinetic", "Fieldhouse", "Redline"],
    lines: [
      { noun: "Yoga Mat", qualifiers: ["6mm", "Cork", "Travel", "Non-Slip", "Extra-Long"], min: 19, max: 129 },
      { noun: "Dumbbell Set", qualifiers: ["Adjustable", "Hex", "Neoprene", "20kg", "40kg"], min: 29, max: 599 },
      { noun: "Running Shoes", qualifiers: ["Trail", "Road", "Carbon-Plate", "Cushioned", "Minimalist"], min: 59, max: 279 },
      { noun: "Tennis Racket", qualifiers: ["Graphite", "Junior", "Power", "Control", "Tour"], min: 39, max: 299 },
      { noun: "Road Bike", qualifiers: ["Carbon", "Aluminium", "Gravel", "Endurance", "Aero"], min: 699, max: 2999 },
      { noun: "Smart Jump Rope", qualifiers: ["Weighted", "Speed", "Cordless", "Beaded", "Counter"], min: 9, max: 59 },
    ],
    openers: [
      "Train harder and recover faster with the {name}.",
      "Professional coaches helped {brand} design the {qualifier} {noun}.",
      "Whether you are just starting out or chasing a personal best, the {name} will keep up.",
    ],
    features: [
      "It is sweat-resistant and easy to wipe clean after every session.",
      "The ergonomic design reduces strain on wrists and joints.",
      "Lab-tested for durability over thousands of hours of use.",
      "Its grippy, textured surface stays secure even when wet.",
      "A free training plan is included with every purchase.",
    ],
    closers: ["Covered by a 90-day performance guarantee.", "Used by club athletes worldwide.", "Spare parts ship within 48 hours."],
  },
];

/** mulberry32: a tiny seeded PRNG (public domain), so the catalogue is identical on every call. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const slugOf = (category: string) =>
  category
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

const fill = (template: string, values: Record<string, string>) =>
  template.replace(/\{(\w+)\}/g, (_, field: string) => values[field] ?? "");

/** Price endings that look like a shop's: mostly .99, some .49, .95 and round. */
const ENDINGS = [99, 99, 99, 49, 95, 0];

/**
 * The demo products, in a fixed order (categories interleaved so any page looks varied).
 * @example const products = demoCatalogue(); // 240 ProductInput values, the same every time
 */
export function demoCatalogue(): ProductInput[] {
  const random = mulberry32(0x1a11_7e7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const names = new Set<string>();
  const perCategory = CATEGORIES.map(() => [] as ProductInput[]);

  CATEGORIES.forEach((spec, index) => {
    const slug = slugOf(spec.category);
    let imageNumber = 0;
    for (let attempts = 0; perCategory[index]!.length < PER_CATEGORY; attempts++) {
      if (attempts > 10_000) throw new Error(`demo catalogue: not enough distinct names for ${spec.category}`);
      const made = perCategory[index]!.length;
      // Cycle through the product lines so each gets its share; brand and variant are random.
      const line = spec.lines[made % spec.lines.length]!;
      const brand = pick(spec.brands);
      const qualifier = pick(line.qualifiers);
      const name = `${brand} ${qualifier} ${line.noun}`;
      if (names.has(name)) continue;
      names.add(name);

      const values = { name, brand, qualifier, noun: line.noun.toLowerCase() };
      const sentences = [fill(pick(spec.openers), values), pick(spec.features)];
      if (random() < 0.6) sentences.push(pick(spec.closers));

      // Integer cents throughout; the API's price is cents / 100 (exactly two decimals at most).
      const whole = line.min + Math.floor(random() * (line.max - line.min + 1));
      const cents = Math.min(299_999, Math.max(199, whole * 100 + pick(ENDINGS)));

      const stock = random() < 0.08 ? 0 : 1 + Math.floor(random() ** 2 * 500);
      const images = Array.from({ length: 1 + Math.floor(random() * 3) }, () => `${IMAGE_HOST}/${slug}/${++imageNumber}.jpg`);
      const isActive = random() >= 0.08;

      perCategory[index]!.push({
        name,
        description: sentences.join(" "),
        price: cents / 100,
        stock: Math.min(500, stock),
        category: spec.category,
        images,
        isActive,
      });
    }
  });

  // Round-robin across categories.
  return Array.from({ length: PER_CATEGORY }, (_, i) => perCategory.map((items) => items[i]!)).flat();
}

const CHUNK = 25;

/**
 * Creates every demo product when the repository holds no product at all; otherwise does
 * nothing. Resolves to how many products it created.
 * Goes through the catalogue's use cases, so whatever they maintain (the cache) stays right.
 * `exclusive`, when given, runs the seeding unless another seeder of the same database
 * (another process starting at the same time) does or did, then resolves to 0 instead:
 * two processes may both find the catalogue empty, and both would seed it.
 * @example const created = await seedIfEmpty(services.catalogue, backgroundRunner(logger));
 */
export async function seedIfEmpty(
  products: Pick<Catalogue, "list" | "create">,
  background: Background,
  exclusive?: (seed: () => Promise<number>) => Promise<number>,
): Promise<number> {
  const scope = { background };
  const { data } = await products.list({ page: 1, limit: 1, sort: "-createdAt" }, scope);
  if (data.total > 0) return 0;
  const seed = async () => {
    // Oldest first, so the catalogue's first item is (among) the newest, as with the D1 seed.
    const items = demoCatalogue().reverse();
    for (let start = 0; start < items.length; start += CHUNK) {
      await Promise.all(items.slice(start, start + CHUNK).map((item) => products.create(item, scope)));
    }
    return items.length;
  };
  return exclusive ? exclusive(seed) : seed();
}
