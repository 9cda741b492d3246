import { INestApplicationContext, Logger } from '@nestjs/common';

import { CreateProductDto } from '../products/dto/product.dto';
import { ProductsService } from '../products/products.service';

type DemoProduct = Omit<CreateProductDto, 'price'> & { price: number };

// Prices in USD cents. Names and descriptions give full-text search something to find.
const DEMO_PRODUCTS: DemoProduct[] = [
  {
    sku: 'TEE-ORGANIC-BLK-M',
    name: 'Organic cotton T-shirt, black',
    description: 'Soft organic cotton tee with a relaxed fit.',
    price: 2500,
    category: 'apparel',
  },
  {
    sku: 'TEE-ORGANIC-WHT-M',
    name: 'Organic cotton T-shirt, white',
    description: 'The same soft organic cotton tee, in white.',
    price: 2500,
    category: 'apparel',
  },
  {
    sku: 'HOODIE-MERINO-GRY-L',
    name: 'Merino wool hoodie',
    description: 'Warm merino wool hoodie for cold mornings.',
    price: 8900,
    category: 'apparel',
  },
  {
    sku: 'SOCKS-WOOL-3PK',
    name: 'Wool hiking socks (3 pairs)',
    description: 'Cushioned wool socks for long hikes.',
    price: 1800,
    category: 'apparel',
  },
  {
    sku: 'MUG-STONEWARE-350',
    name: 'Stoneware mug',
    description: 'Hand-glazed stoneware mug, 350 ml, dishwasher safe.',
    price: 1400,
    category: 'kitchen',
  },
  {
    sku: 'KETTLE-GOOSENECK-1L',
    name: 'Gooseneck kettle',
    description: 'Pour-over coffee kettle with a precise gooseneck spout.',
    price: 5900,
    category: 'kitchen',
  },
  {
    sku: 'GRINDER-BURR-MANUAL',
    name: 'Manual burr coffee grinder',
    description: 'Ceramic burr grinder for an even coffee grind.',
    price: 4200,
    category: 'kitchen',
  },
  {
    sku: 'PAN-CASTIRON-26',
    name: 'Cast iron skillet, 26 cm',
    description: 'Pre-seasoned cast iron pan that lasts a lifetime.',
    price: 3900,
    category: 'kitchen',
  },
  {
    sku: 'BOOK-DDIA',
    name: 'Designing Data-Intensive Applications',
    description: 'A book on the principles of reliable, scalable and maintainable data systems.',
    price: 4500,
    category: 'books',
  },
  {
    sku: 'BOOK-RELEASE-IT',
    name: 'Release It!',
    description:
      'A book on designing and deploying production-ready software: circuit breakers, bulkheads, timeouts.',
    price: 3800,
    category: 'books',
  },
  {
    sku: 'BOOK-MICROSERVICES',
    name: 'Building Microservices',
    description: 'A book on designing fine-grained systems: service boundaries, sagas, deployment.',
    price: 4200,
    category: 'books',
  },
  {
    sku: 'LAMP-DESK-LED',
    name: 'LED desk lamp',
    description: 'Dimmable LED desk lamp with warm and cool light.',
    price: 4900,
    category: 'home',
  },
  {
    sku: 'BLANKET-WOOL-THROW',
    name: 'Wool throw blanket',
    description: 'Heavy wool blanket for the sofa.',
    price: 7900,
    category: 'home',
  },
  {
    sku: 'PLANTER-CERAMIC-M',
    name: 'Ceramic planter',
    description: 'Matte ceramic planter with a drainage hole.',
    price: 2200,
    category: 'home',
  },
  {
    sku: 'BOTTLE-STEEL-750',
    name: 'Insulated steel bottle',
    description: 'Keeps drinks cold for 24 hours; 750 ml.',
    price: 2900,
    category: 'outdoor',
  },
  {
    sku: 'TENT-2P-LIGHT',
    name: 'Two-person lightweight tent',
    description: 'Freestanding hiking tent under 2 kg.',
    price: 24900,
    category: 'outdoor',
  },
];

/** Seeds the demo catalog through the service itself (so later its events flow too); skips existing skus. */
export async function seedDemoCatalog(app: INestApplicationContext): Promise<void> {
  const products = app.get(ProductsService);
  const logger = new Logger('DemoCatalog');
  let created = 0;
  for (const { price, ...product } of DEMO_PRODUCTS) {
    const wasCreated = await products.createIfAbsent({
      ...product,
      price: { amount: price, currency: 'USD' },
    });
    if (wasCreated) created += 1;
  }
  logger.log(`demo catalog: ${created} created, ${DEMO_PRODUCTS.length - created} already present`);
}
