import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { BENCH_CONFIG_ANSWER } from './bench-config';

/** Baseline (a): a bare Nest route on the same Fastify adapter, answering the same JSON from a constant. */
@Controller()
class ConstantController {
  @Get('api/v1/configs/:logicId')
  read() {
    return BENCH_CONFIG_ANSWER;
  }
}

@Module({ controllers: [ConstantController] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), { logger: false });
  await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
}

void main();
