import { IsString, Length } from 'class-validator';
import { ID_MAX } from './instance-fields';

export class InstanceKeyParams {
  @IsString()
  @Length(1, ID_MAX)
  logicId: string;

  @IsString()
  @Length(1, ID_MAX)
  bizId: string;
}
