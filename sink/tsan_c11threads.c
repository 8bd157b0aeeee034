/*-------------------------------------------------------------------------
 *
 * tsan_c11threads.c
 *	  C11 threads over POSIX threads, linked into the ThreadSanitizer build
 *	  only (make -C sink tsan).
 *
 * librdkafka uses C11 threads (thrd_create, mtx_lock, cnd_wait, ...).
 * GCC 12's and clang 14's ThreadSanitizer intercept the pthread functions
 * but not these, and glibc implements them with internal calls it cannot
 * see: a thread librdkafka starts has no ThreadSanitizer state and crashes
 * in its first malloc, and its locks would be invisible.  Defined in the
 * executable, these definitions take the place of glibc's for librdkafka
 * and go through the intercepted pthread functions, as glibc's own
 * implementation does (the C11 types have the pthread types' layout).
 * Never in the normal or the ASan build.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/tsan_c11threads.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <threads.h>

static int
thrd_result(int err)
{
	return err == 0 ? thrd_success :
		err == ETIMEDOUT ? thrd_timedout :
		err == EBUSY ? thrd_busy :
		err == ENOMEM ? thrd_nomem : thrd_error;
}

int
thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
	/*
	 * glibc does the same cast: the int result travels as a pointer
	 * (through void (*) (void), which GCC accepts as any function type)
	 */
	return thrd_result(pthread_create((pthread_t *) thr, NULL,
									  (void *(*) (void *)) (void (*) (void)) func,
									  arg));
}

int
thrd_join(thrd_t thr, int *res)
{
	void	   *ret;
	int			err = pthread_join((pthread_t) thr, &ret);

	if (err == 0 && res)
		*res = (int) (intptr_t) ret;
	return thrd_result(err);
}

int
thrd_detach(thrd_t thr)
{
	return thrd_result(pthread_detach((pthread_t) thr));
}

int
mtx_init(mtx_t *mtx, int type)
{
	pthread_mutexattr_t attr;
	int			err;

	pthread_mutexattr_init(&attr);
	if (type & mtx_recursive)
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	err = pthread_mutex_init((pthread_mutex_t *) mtx, &attr);
	pthread_mutexattr_destroy(&attr);
	return thrd_result(err);
}

int
mtx_lock(mtx_t *mtx)
{
	return thrd_result(pthread_mutex_lock((pthread_mutex_t *) mtx));
}

int
mtx_trylock(mtx_t *mtx)
{
	return thrd_result(pthread_mutex_trylock((pthread_mutex_t *) mtx));
}

int
mtx_timedlock(mtx_t *restrict mtx, const struct timespec *restrict ts)
{
	return thrd_result(pthread_mutex_timedlock((pthread_mutex_t *) mtx, ts));
}

int
mtx_unlock(mtx_t *mtx)
{
	return thrd_result(pthread_mutex_unlock((pthread_mutex_t *) mtx));
}

void
mtx_destroy(mtx_t *mtx)
{
	pthread_mutex_destroy((pthread_mutex_t *) mtx);
}

int
cnd_init(cnd_t *cond)
{
	return thrd_result(pthread_cond_init((pthread_cond_t *) cond, NULL));
}

int
cnd_signal(cnd_t *cond)
{
	return thrd_result(pthread_cond_signal((pthread_cond_t *) cond));
}

int
cnd_broadcast(cnd_t *cond)
{
	return thrd_result(pthread_cond_broadcast((pthread_cond_t *) cond));
}

int
cnd_wait(cnd_t *cond, mtx_t *mtx)
{
	return thrd_result(pthread_cond_wait((pthread_cond_t *) cond,
										 (pthread_mutex_t *) mtx));
}

int
cnd_timedwait(cnd_t *restrict cond, mtx_t *restrict mtx,
			  const struct timespec *restrict ts)
{
	return thrd_result(pthread_cond_timedwait((pthread_cond_t *) cond,
											  (pthread_mutex_t *) mtx, ts));
}

void
cnd_destroy(cnd_t *cond)
{
	pthread_cond_destroy((pthread_cond_t *) cond);
}

void
call_once(once_flag *flag, void (*func) (void))
{
	pthread_once((pthread_once_t *) flag, func);
}
