#include <immintrin.h>
#include <stdio.h>
#include <time.h>
#include <pthread.h>
static double run(void){
  __m512 a[12]; for(int i=0;i<12;i++) a[i]=_mm512_set1_ps(1.0f+i*1e-3f);
  __m512 b=_mm512_set1_ps(0.999999f), c=_mm512_set1_ps(1e-7f);
  long n=200000000/4;
  for(long k=0;k<n;k++){ for(int i=0;i<12;i++) a[i]=_mm512_fmadd_ps(a[i],b,c);}
  float s=0; for(int i=0;i<12;i++) s+=_mm512_reduce_add_ps(a[i]);
  return s;
}
static void* th(void*x){ *(double*)x=run(); return 0;}
int main(){ struct timespec t0,t1; double r[2]; pthread_t p[2];
 clock_gettime(CLOCK_MONOTONIC,&t0);
 for(int i=0;i<2;i++) pthread_create(&p[i],0,th,&r[i]);
 for(int i=0;i<2;i++) pthread_join(p[i],0);
 clock_gettime(CLOCK_MONOTONIC,&t1);
 double s=(t1.tv_sec-t0.tv_sec)+(t1.tv_nsec-t0.tv_nsec)*1e-9;
 double flops=2.0*2*12*16*(200000000/4);
 printf("%.1f GFLOP/s (2 threads, AVX-512 FMA) %g\n", flops/s/1e9, r[0]+r[1]);}
